"""Fixtures of the enrichment tests: the fake Messages API, a paying tenant, leads, helpers.

Import them into a test module with `from apps.enrichment.tests.fixtures import *`.
The real Anthropic SDK talks to a local fake server (apps/ai/tests/fake_anthropic.py); the
managed client keeps its real retry policy and limiter, only the waits are recorded instead
of slept.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest

from apps.ai.client import ManagedLLMClient, provider_adapter
from apps.ai.ratelimit import RateLimiter
from apps.ai.retry import RetryPolicy
from apps.ai.tests.fake_anthropic import FakeAnthropic
from apps.billing.models import UsageCharge
from apps.billing.services.credits import credit_add, credit_balance
from apps.core.money import Money
from apps.enrichment import services
from apps.enrichment.models import EnrichmentRun, LeadEnrichment
from apps.enrichment.services import common
from apps.features.services import tenant_feature_set
from apps.leads.models import Lead
from apps.leads.tests.conftest import make_leads
from apps.tenants.scoping import tenant_scope

UNIT = 1500  # the trial plan's price per lead, kopecks (billing migration 0006)
CREDIT = 1_000_000

ANSWER = {
    "company": {"value": "ООО Ромашка", "determined": True, "confidence": 0.95},
    "website": {"value": "https://romashka.ru", "determined": True, "confidence": 0.9},
    "industry": {"value": "Розничная торговля", "determined": True, "confidence": 0.8},
    "role": {"value": None, "determined": False, "confidence": 0.1},
    "company_size": {"value": "11-50", "determined": True, "confidence": 0.4},  # too unsure
    "pain_point_hypothesis": {
        "value": "Теряют заявки из-за медленного ответа.",
        "determined": True,
        "confidence": 0.7,
    },
}


def answer(**changes) -> dict:
    """ANSWER with some fields replaced: answer(role=("Директор", 0.9))."""
    out = {name: dict(value) for name, value in ANSWER.items()}
    for name, (value, confidence) in changes.items():
        out[name] = {"value": value, "determined": value is not None, "confidence": confidence}
    return out


class SleepRecorder:
    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake_ai(settings, monkeypatch):
    """The fake Messages API, the settings pointing the SDK at it, and the enrichment tasks'
    client (real limiter and retries; retry waits recorded in `fake_ai.sleeps`)."""
    with FakeAnthropic() as fake:
        fake.default_output = ANSWER
        settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
        settings.ANTHROPIC_BASE_URL = fake.base_url
        settings.ANTHROPIC_MODEL = "claude-sonnet-4-6"
        settings.ANTHROPIC_MAX_TOKENS = 512
        settings.AI_TIMEOUT_SECONDS = 2.0
        fake.sleeps = SleepRecorder()
        fake.policy = {"max_attempts": 4, "max_seconds": 60.0}
        # The shared limiter is tested in apps/ai; here it stays out of the way (its waits
        # for a provider's retry-after are real time, unlike the recorded retry waits).
        fake.limiter = RateLimiter(requests_per_window=0, backend=None)

        def client():
            return ManagedLLMClient(
                provider_adapter("anthropic"),
                limiter=fake.limiter,
                retry_policy=RetryPolicy(**fake.policy),
                sleep=fake.sleeps,
            )

        monkeypatch.setattr(common, "enrichment_client", client)
        yield fake


@pytest.fixture
def offline_ai(settings):
    settings.ANTHROPIC_API_KEY = ""
    return settings


@pytest.fixture
def enrichment_on(tenant):
    tenant_feature_set(tenant=tenant, feature="enrichment", mode="grant", reason="tests")
    return tenant


@pytest.fixture
def paying(enrichment_on):
    """The tenant has the tool and enough prepaid credit."""
    credit_add(
        tenant=enrichment_on,
        money=Money(CREDIT, "RUB"),
        reason="tests",
        idempotency_key=f"test-credit-{uuid.uuid4().hex}",
    )
    return enrichment_on


def balance(tenant) -> int:
    return credit_balance(tenant, "RUB").amount


@pytest.fixture
def two_leads(tenant):
    """A lead with a corporate e-mail and one with free mail."""
    return make_leads(
        tenant,
        [
            {"email": "anna@romashka.ru", "name": "Анна"},
            {"email": "boris.k@gmail.com", "name": "Борис"},
        ],
    )


def start(tenant, actor=None, **kwargs) -> EnrichmentRun:
    return services.enrichment_run_start(tenant=tenant, actor=actor, **kwargs)


@contextmanager
def running_tasks(django_capture_on_commit_callbacks):
    """Run what the code queues on commit (the tasks run eagerly)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        yield callbacks


def lead(tenant, lead_id) -> Lead:
    with tenant_scope(tenant):
        return Lead.objects.get(pk=lead_id)


def items(tenant, run) -> list[LeadEnrichment]:
    return list(LeadEnrichment.objects.for_tenant(tenant).filter(run=run).order_by("lead_id"))


def run_of(tenant, run) -> EnrichmentRun:
    return EnrichmentRun.objects.for_tenant(tenant).get(pk=run.pk)


def charges(tenant) -> list[UsageCharge]:
    return list(UsageCharge.objects.for_tenant(tenant).order_by("pk"))


__all__ = [
    "ANSWER",
    "CREDIT",
    "UNIT",
    "answer",
    "balance",
    "charges",
    "enrichment_on",
    "fake_ai",
    "items",
    "lead",
    "offline_ai",
    "paying",
    "run_of",
    "running_tasks",
    "start",
    "two_leads",
]
