"""The PII canary (issue #12): a distinctive e-mail and phone pushed through every entry point
never shows in a log line (rendered as production renders it, at DEBUG, from the root,
django.request and Celery loggers) nor in an error page (DEBUG off).

Entry points: web sign-up, a failed web and API login, API registration, password reset,
API lead create / batch / bulk, a bad batch item, CSV import, the widget, dashboard and API
searches, invitations (API and page), payment and Stripe webhooks, an enrichment run in
offline mode, and 404/400/500 answers whose URL carries the canary.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from apps.billing.services.credits import credit_add
from apps.core.money import Money
from apps.core.tests.test_logging import JsonLogCapture
from apps.features.registry import tool_keys
from apps.features.services import tenant_feature_set
from apps.leads import selectors as lead_selectors
from apps.leads.models import Lead
from apps.leads.tests.test_imports import job_of, start, upload
from apps.tenants import keys
from conftest import api_client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

JSON = "application/json"
LOGGERS = ("", "django", "django.request", "django.server", "celery", "celery.app.trace", "apps")


@pytest.fixture
def canary():
    token = uuid.uuid4().hex[:12]
    digits = str(int(token, 16))[-7:].rjust(7, "1")
    return {
        "email": f"canary-{token}@pii-canary.test",
        "phone": f"+7 999 {digits[:3]}-{digits[3:5]}-{digits[5:]}",
        # What to look for: the address's local part, and the phone's digits however they
        # are formatted (+79991234567, 999 123-45-67, 999%20123…).
        "needles": (
            f"canary-{token}",
            re.compile(rf"999\D{{0,3}}{digits[:3]}\D{{0,3}}{digits[3:5]}\D{{0,3}}{digits[5:]}"),
        ),
    }


@pytest.fixture
def log_capture():
    """Every log line as production renders it, with the loggers opened to DEBUG."""
    capture = JsonLogCapture()
    capture.attach()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield capture
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().removeHandler(capture.handler)


@pytest.fixture
def paying(tenant, settings):
    """Every tool, prepaid credit for the enrichment, no AI key (the offline enricher)."""
    settings.ANTHROPIC_API_KEY = ""
    for tool in tool_keys():
        tenant_feature_set(tenant=tenant, feature=tool, mode="grant", reason="canary")
    key = f"canary-credit-{uuid.uuid4().hex}"
    credit_add(tenant=tenant, money=Money(1_000_000, "RUB"), reason="canary", idempotency_key=key)
    return tenant


def _found(text: str, canary) -> bool:
    address, phone = canary["needles"]
    return address in text.lower() or phone.search(text) is not None


class Pages:
    """Records the error answers (4xx/5xx) whose body shows the canary."""

    def __init__(self, canary):
        self.canary = canary
        self.leaks: list[str] = []
        self.seen = self.errors = 0

    def check(self, label: str, response):
        shown = not getattr(response, "streaming", False) and response.status_code >= 400
        self.seen, self.errors = self.seen + 1, self.errors + shown
        if shown and _found(response.content.decode("utf-8", "replace"), self.canary):
            self.leaks.append(f"{label}: {response.status_code} page shows the canary")
        return response


def _api_entry_points(paying, admin_user, canary, pages, capture_on_commit):
    api = api_client_for(admin_user)
    base = f"/api/v1/tenants/{paying.pk}"
    lead = {"email": canary["email"], "phone": canary["phone"], "name": "Canary Person"}
    anon = Client(raise_request_exception=False)
    post = anon.post
    register = {"email": canary["email"], "password": PASSWORD, "name": "Canary Person"}
    pages.check("api register", post("/api/v1/auth/register", register, JSON))
    body = {"email": canary["email"], "password": "wrong-password-1"}
    pages.check("api login fail", post("/api/v1/auth/login", body, JSON))
    pages.check("api lead create", api.post(f"{base}/leads/", lead, format="json"))
    batch = [lead, {**lead, "email": canary["email"] + "\x00"}, {"phone": canary["phone"] + "x"}]
    pages.check("api lead batch", api.post(f"{base}/leads/", batch, format="json"))
    pages.check("api search", api.get(f"{base}/leads/", {"q": canary["email"]}))
    pages.check("api search phone", api.get(f"{base}/leads/", {"q": canary["phone"]}))
    invite = {"email": canary["email"], "role": "operator"}
    pages.check("api invitation", api.post(f"{base}/team/invitations/", invite, format="json"))
    lead_id = Lead.objects.for_tenant(paying).filter(email=canary["email"]).first().pk
    with capture_on_commit(execute=True):
        pages.check("api enrich", api.post(f"{base}/leads/{lead_id}/enrich/", {}, format="json"))


def _web_entry_points(paying, admin_client, canary, pages, capture_on_commit):
    anon = Client(raise_request_exception=False)
    signup = {"email": canary["email"], "password1": PASSWORD, "name": "Canary", "company": "C"}
    pages.check("web sign-up", anon.post(reverse("account_signup"), signup))
    login = {"login": canary["email"], "password": "wrong-password-1"}
    pages.check("web login fail", Client().post(reverse("account_login"), login))
    reset = {"email": canary["email"]}
    pages.check("password reset", Client().post(reverse("account_reset_password"), reset))
    slug = paying.slug
    pages.check("web search", admin_client.get(f"/t/{slug}/leads/", {"q": canary["email"]}))
    invite = {"email": canary["email"], "role": "operator"}
    pages.check("web invitation", admin_client.post(f"/t/{slug}/team/invitations/", invite))
    data = f"email;phone\n{canary['email']};{canary['phone']}\nbad-{canary['email']}@;\n"
    response = admin_client.post(
        f"/t/{slug}/leads/import/", {"file": upload("c.csv", data.encode())}
    )
    pages.check("import upload", response)
    job = job_of(paying)
    with capture_on_commit(execute=True):
        pages.check("import start", start(admin_client, paying, job))


def _widget_and_webhooks(paying, canary, pages, settings):
    key = keys.publishable_key_get_or_create(paying).key
    visitor = Client(raise_request_exception=False, HTTP_ORIGIN="https://example.com")
    submission = {
        "email": canary["email"],
        "phone": canary["phone"],
        "consents": {"processing": True},
        "page_url": f"https://example.com/?email={canary['email']}",
    }
    url = f"/api/public/v1/widget/{key}/leads/"
    pages.check("widget", visitor.post(url, submission, JSON))
    pages.check("widget bad", visitor.post(url, {**submission, "consents": {}}, JSON))
    settings.TINKOFF_TERMINAL_KEY, settings.TINKOFF_PASSWORD = "canary-terminal", "canary-pass"
    person = {"email": canary["email"], "phone": canary["phone"]}
    hook = {"TerminalKey": "canary-terminal", "Status": "CONFIRMED", "Data": person}
    anon = Client(raise_request_exception=False)
    pages.check("tinkoff", anon.post("/webhooks/tinkoff/", hook, JSON))
    stripe = f"/webhooks/stripe/webhook/{uuid.uuid4()}/"
    pages.check("stripe", anon.post(stripe, {"data": person}, JSON))


def _error_pages(paying, admin_user, canary, pages, monkeypatch):
    anon = Client(raise_request_exception=False)
    pages.check("404", anon.get(f"/no-such-page/{canary['email']}/", {"q": canary["email"]}))
    api = api_client_for(admin_user)
    api.raise_request_exception = False
    bad_json = f'{{"email": "{canary["email"]}"'
    url = f"/api/v1/tenants/{paying.pk}/leads/"
    pages.check("400 json", api.post(url, bad_json, content_type=JSON))

    def broken(*args, **kwargs):
        raise RuntimeError("the canary's search broke")

    monkeypatch.setattr(lead_selectors, "lead_page", broken)
    admin = Client(raise_request_exception=False)
    admin.force_login(admin_user)
    pages.check("500 page", admin.get(f"/t/{paying.slug}/leads/", {"q": canary["email"]}))
    pages.check("500 api", api.get(url, {"q": canary["email"], "phone": canary["phone"]}))


def test_the_canary_never_shows_in_logs_or_error_pages(
    paying,
    admin_user,
    admin_client_web,
    canary,
    log_capture,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    # given: every entry point fed with the canary
    pages = Pages(canary)
    _web_entry_points(paying, admin_client_web, canary, pages, django_capture_on_commit_callbacks)
    _api_entry_points(paying, admin_user, canary, pages, django_capture_on_commit_callbacks)
    _widget_and_webhooks(paying, canary, pages, settings)
    _error_pages(paying, admin_user, canary, pages, monkeypatch)

    # then: the data went in (the test reached the code that could log it) ...
    stored = Lead.objects.for_tenant(paying).filter(email=canary["email"]).count()
    assert stored == 1, "the canary lead was not stored: an entry point refused it"
    lines = log_capture()
    assert len(lines) > 50, "too few log lines were captured to prove anything"
    print(
        f"\npii canary: {pages.seen} requests, {pages.errors} error pages, {len(lines)} log lines"
    )
    # ... and no log line nor error page shows it
    leaks = [
        json.dumps(line, ensure_ascii=False) for line in lines if _found(json.dumps(line), canary)
    ]
    assert not leaks, f"{len(leaks)} log lines show the canary:\n" + "\n".join(leaks[:20])
    assert not pages.leaks, "\n".join(pages.leaks)
