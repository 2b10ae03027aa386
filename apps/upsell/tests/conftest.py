"""Fixtures of upsell radar's tests: companies on Business (upsell + HYROCALL), the fake
Anthropic and HYROCALL servers, a signed helpdesk webhook, an e-mail channel."""

from __future__ import annotations

import json

import pytest

from apps.ai.tests.fake_anthropic import FakeAnthropic
from apps.billing.tests.helpers import subscribe
from apps.channels.providers import sendgrid
from apps.channels.tests.fake_sendgrid import FakeSendGrid
from apps.messaging.tests.fakes import make_channel
from apps.upsell.drafts import SYSTEM_PROMPT as DRAFT_SYSTEM
from apps.upsell.helpdesk import GENERIC_HEADER, generic_signature
from apps.upsell.services.configuration import (
    catalogue_add,
    upsell_settings_get,
    webhook_secret_rotate,
)
from apps.upsell.tests.fake_hyrocall import API_KEY, WEBHOOK_SECRET, FakeHyrocall

LIMIT_TEXT = "we are hitting the 2,000-lead limit every month, what does the next tier cost?"


@pytest.fixture(autouse=True)
def _upsell_tools(request):
    """Upsell and HYROCALL are Business tools (tests of a locked tool change the plan)."""
    for name in ("tenant", "other_tenant"):
        if name in request.fixturenames:
            subscribe(request.getfixturevalue(name), "business")


@pytest.fixture
def fake_anthropic(settings):
    with FakeAnthropic() as fake:
        settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
        settings.ANTHROPIC_BASE_URL = fake.base_url
        settings.ANTHROPIC_MODEL = "claude-sonnet-4-6"
        settings.ANTHROPIC_MAX_TOKENS = 512
        settings.AI_TIMEOUT_SECONDS = 2.0
        settings.AI_RETRY_MAX_ATTEMPTS = 1
        yield fake


@pytest.fixture
def fake_hyrocall(settings):
    with FakeHyrocall() as fake:
        settings.HYROCALL_API_KEY = API_KEY
        settings.HYROCALL_BASE_URL = fake.base_url
        settings.HYROCALL_WEBHOOK_SECRET = WEBHOOK_SECRET
        yield fake


@pytest.fixture
def catalogue(tenant):
    catalogue_add(tenant, product="Fast Lead", tier="Pro", description="2,000 leads")
    return catalogue_add(
        tenant, product="Fast Lead", tier="Business", description="unlimited leads"
    )


@pytest.fixture
def helpdesk(tenant):
    """(post(payload, secret=None) → response, secret) for the tenant's helpdesk webhook."""
    secret = webhook_secret_rotate(tenant)
    token = upsell_settings_get(tenant).webhook_token

    def post(client, payload, *, signed_with=None, headers=None):
        body = json.dumps(payload).encode()
        sign = generic_signature(signed_with or secret, body)
        return client.post(
            f"/webhooks/helpdesk/{token}/",
            data=body,
            content_type="application/json",
            headers=headers or {GENERIC_HEADER: sign},
        )

    post.secret = secret
    post.token = token
    return post


@pytest.fixture
def email_channel(tenant):
    return make_channel(tenant, "sendgrid")


def high(**extra) -> dict:
    return {
        "upsell_signal": True,
        "score": 0.92,
        "rationale": "The customer hits the Pro lead limit monthly and asks for the next tier.",
        "recommended_product": "Fast Lead",
        "recommended_tier": "Business",
        "evidence_quotes": ["we are hitting the 2,000-lead limit every month"],
        **extra,
    }


def low() -> dict:
    return {
        "upsell_signal": False,
        "score": 0.05,
        "rationale": "A bug report, no buying signal.",
        "recommended_product": "",
        "recommended_tier": "",
        "evidence_quotes": [],
    }


def draft_answer(**extra) -> dict:
    """Claude's outreach draft for the limit ticket (an OutreachDraft)."""
    return {
        "email_subject": "Fast Lead Business for your team",
        "email_body": "Ivan, you wrote that you hit the 2,000-lead limit. Business has no "
        "limit. Shall we switch you over?\n\nRomashka",
        "call_script": "1. Introduce yourself.\n2. Recall the limit.\n3. Offer Business.",
        **extra,
    }


def is_draft_request(recorded) -> bool:
    """A request to the fake Anthropic that drafts outreach (not a classification)."""
    head = DRAFT_SYSTEM.split("{language}")[0][:80]
    return str(recorded.body.get("system", "")).startswith(head)


def classification_requests(fake) -> list:
    return [r for r in fake.requests if not is_draft_request(r)]


def ticket(external_id="T-1", text=LIMIT_TEXT, **person) -> dict:
    return {
        "ticket": {
            "id": external_id,
            "subject": text[:60],
            "body": text,
            "status": "open",
            "tags": ["billing"],
            "created_at": "2026-12-05T10:00:00Z",
            "requester": {
                "name": "Ivan Petrov",
                "email": "ivan@romashka.ru",
                "phone": "+79161234567",
                "marketing_consent": True,
                **person,
            },
        }
    }


@pytest.fixture
def fake_sendgrid(monkeypatch):
    with FakeSendGrid() as server:
        monkeypatch.setattr(sendgrid, "API", server.url)
        yield server
