"""Contract test: schemathesis against the served /api/schema/, as a tenant admin (JWT) and as
a server-to-server client (an API key of a Business-plan tenant).

The app runs on pytest-django's live server over the test database; schemathesis' engine (the
same one its CLI runs) drives every documented operation through its phases (examples,
coverage, fuzzing, stateful) with a fixed seed and a bounded number of examples, and checks
every answer: no server error, only documented status codes, content types and bodies, invalid
data rejected, valid data accepted. Expected: no failure at all.

A failing run names each failure with its request and answer; SCHEMATHESIS_SUMMARY=path also
writes the summary (cases per phase, failures by kind, runtime) to a file.
"""

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.request import urlopen

import pytest
import schemathesis
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from apps.billing.tests.helpers import subscribe
from apps.booking.models import Booking, CalendarKind
from apps.channels import services as channel_services
from apps.channels.providers.base import Adapter, ProviderError
from apps.features.services import tenant_feature_set
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.tenants import keys
from apps.tenants.roles import Role
from tests.factories import MembershipFactory, TenantFactory

SEED = 20261205
MAX_EXAMPLES = 5
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
# Operations left out, and why (everything else in the schema is exercised):
EXCLUDED_PATHS = {
    # Staff-only operations of the billing operator: the staff console, not a tenant client.
    "/api/v1/ops/subscriptions/{subscription_id}/charge/{request_id}/",
    "/api/v1/ops/subscriptions/eligible/",
    "/api/v1/ops/subscriptions/retries/",
}

# Operations whose valid-looking requests may still be refused with 400 by a rule JSON Schema
# cannot state; every other check still runs on them.
TENANT = "/api/v1/tenants/{tenant_id}"
ANALYTICS = ("channels", "cohorts", "dashboard", "funnel", "operators")
RULES_BEYOND_THE_SCHEMA = {
    # the plan must be on sale: the catalogue is rows in the database
    ("POST", f"{TENANT}/billing/change-plan/"),
    ("POST", f"{TENANT}/billing/payments/"),
    # a valid INN / EU VAT id (check digits)
    ("PATCH", f"{TENANT}/billing/account/"),
    # either `ids` or `filter`, and a `value` whose type the `action` decides
    ("POST", f"{TENANT}/leads/bulk/"),
    ("POST", f"{TENANT}/leads/enrich/"),
    # a run needs leads to enrich (the list's contents)
    ("POST", f"{TENANT}/lists/{{list_id}}/enrich/"),
    # a lead keeps an e-mail, a phone or a lead id; the list and the assignee must exist; a
    # phone number must exist
    ("PATCH", f"{TENANT}/leads/{{lead_id}}/"),
    # the widget asks for an e-mail or a phone; working hours end after they start
    ("PUT", f"{TENANT}/widget/"),
    # the credential and setting fields a channel's provider requires
    ("POST", f"{TENANT}/channels/"),
    ("PATCH", f"{TENANT}/channels/{{channel_id}}/"),
    # a webhook URL must resolve to public addresses only (the SSRF guard, at save time)
    ("POST", f"{TENANT}/webhooks/endpoints/"),
    ("PATCH", f"{TENANT}/webhooks/endpoints/{{endpoint_id}}/"),
    # `created_to` not before `created_from`
    ("GET", f"{TENANT}/leads/"),
    ("GET", f"{TENANT}/leads/export/"),
    # `to` not before `from`, at most 366 days apart, years 2001-2099
    *(("GET", f"{TENANT}/analytics/{name}/") for name in ANALYTICS),
    # Cal.com needs an API key and an event type id; working hours end after they start
    ("PUT", f"{TENANT}/booking/settings/"),
    # the assignee must be a member of the company
    ("POST", f"{TENANT}/conversations/{{conversation_id}}/assign/"),
    # a lead id must name one of the company's leads
    ("POST", f"{TENANT}/events/"),
    # a HyroPage address must be free; page text is checked again after trimming
    ("POST", f"{TENANT}/hyropages/"),
    ("PATCH", f"{TENANT}/hyropages/{{page_id}}/"),
    # erasure needs `confirm` true, closing the company its slug typed again (apps/privacy)
    ("POST", f"{TENANT}/leads/{{lead_id}}/erase/"),
    ("POST", f"{TENANT}/close/"),
}


HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Report:
    expected: set  # every operation of the schema that is not left out
    operations: set = field(default_factory=set)
    cases: int = 0
    failures: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    by_phase: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        kinds = Counter(title for title, _op, _msg in self.failures)
        lines = [f"{self.cases} cases over {len(self.operations)} operations {dict(self.by_phase)}"]
        lines += [f"{n} × {kind}" for kind, n in kinds.most_common()]
        lines += [f"{op}: {title}: {msg[:600]}" for title, op, msg in self.failures]
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)


def _config(*, base_url: str, headers: dict, rows: dict, coverage: bool) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "base-url": base_url,
            "headers": headers,
            # the company under test and its seeded rows (random ids would only meet 404);
            # `cursor` is opaque, only ever one the server issued
            "parameters": {
                **{f"path.{name}": value for name, value in rows.items()},
                "query.cursor": "",
            },
            # NUL is refused in every text field (tested per entry point); JSON Schema could
            # only say so with a pattern on every string
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "allow-x00": False,
            },
            "operations": [
                {
                    "include-path": path,
                    "include-method": method,
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                }
                for (method, path) in sorted(RULES_BEYOND_THE_SCHEMA)
            ],
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
                # A well-formed request may still be refused for the company's state (402: the
                # plan or balance does not cover it; 409) or for its meaning (422: a phone
                # number that does not exist), never with 400.
                "positive_data_acceptance": {
                    "enabled": True,
                    "expected-statuses": ["2xx", "401", "402", "403", "404", "409", "422", "429"],
                },
            },
            "continue-on-failure": True,
            # bounded for CI: the coverage phase skips trying every undocumented method on
            # every path (Django answers them 405 uniformly), the stateful phase takes
            # short walks
            "phases": {
                "coverage": {"enabled": coverage, "unexpected-methods": []},
                "stateful": {"max-steps": 5},
            },
        }
    )


def _run(live_server, *, headers: dict, rows: dict, exclude=(), coverage=True) -> Report:
    config = _config(base_url=live_server.url, headers=headers, rows=rows, coverage=coverage)
    # the schema as any client reads it: anonymously (an API key is for tenant routes only)
    with urlopen(f"{live_server.url}/api/schema/?format=json", timeout=60) as served:
        raw = json.load(served)
    left_out = EXCLUDED_PATHS | set(exclude)
    schema = schemathesis.openapi.from_dict(raw, config=config).exclude(path=sorted(left_out))
    report = Report(
        expected={
            f"{method.upper()} {path}"
            for path, item in raw["paths"].items()
            for method in item
            if path not in left_out and method.upper() in HTTP_METHODS
        }
    )
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            report.operations.add(event.recorder.label)
            report.cases += len(event.recorder.cases)
            report.by_phase[event.phase.value] += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info:
                        failure = check.failure_info.failure
                        detail = _exchange(event.recorder.interactions.get(case_id))
                        report.failures.append(
                            (failure.title, event.recorder.label, f"{failure.message}\n{detail}")
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            report.errors.append(str(getattr(event, "info", event)))
    return report


def _exchange(interaction) -> str:
    """The request and the answer a failure came from, short enough to read in a report."""
    if interaction is None or interaction.response is None:
        return ""
    request, response = interaction.request, interaction.response
    body = (request.body or b"")[:300].decode(errors="replace")
    answer = response.content[:300].decode(errors="replace")
    return f"  {request.method} {request.uri} {body}\n  -> {response.status_code} {answer}"


@pytest.fixture
def unthrottled(monkeypatch):
    """Every operation documents its 429; a contract run at full speed would otherwise meet
    nothing else after the first hundred requests. The live server's request threads close
    their database connections after each request (with persistent ones, PostgreSQL's test
    database could not be dropped at the end: "accessed by other users")."""
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"user": "100000/minute", "anon": "100000/minute", "auth": "100000/minute"},
    )
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 0)


class _RefusingProvider(Adapter):
    def verify_credentials(self) -> str:
        raise ProviderError("Unauthorized", status=401)

    def send(self, message):
        raise ProviderError("Unauthorized", status=401)


@pytest.fixture(autouse=True)
def no_provider_calls(monkeypatch):
    """Testing a channel the run connected calls no real provider: every one refuses."""
    monkeypatch.setattr(
        channel_services,
        "adapter_for",
        lambda channel, **kw: _RefusingProvider(credentials={}, settings={}),
    )


def _seeded_tenant(plan: str):
    tenant = TenantFactory(name="Contract Co")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, plan)
    for tool in ("export", "api_access", "enrichment", "webhooks"):
        tenant_feature_set(tenant=tenant, feature=tool, mode="grant", reason="contract test")
    items = [
        {"email": f"lead{n}@example.com", "name": f"Lead {n}", "created_at": timezone.now()}
        for n in range(3)
    ]
    ingest_leads(tenant=tenant, items=items, source="api")
    return tenant, admin, _rows(tenant)


def _rows(tenant) -> dict:
    """The path ids of the run: the company, and a conversation with a failed message and an
    upcoming booking of its first lead (the operations on them answer more than 404)."""
    lead = Lead.objects.for_tenant(tenant).order_by("pk").first()
    conversation = Conversation.objects.create(tenant=tenant, lead=lead)
    message = Message.objects.create(
        tenant=tenant,
        conversation=conversation,
        lead=lead,
        direction=Direction.OUT,
        channel_kind="email",
        address=lead.email,
        body="Hello",
        status=MessageStatus.FAILED,
        idempotency_key="contract-1",
    )
    start = timezone.now() + timedelta(days=3)
    booking = Booking.objects.create(
        tenant=tenant,
        lead=lead,
        calendar=CalendarKind.BUILTIN,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    return {
        "tenant_id": str(tenant.pk),
        "conversation_id": conversation.pk,
        "message_id": message.pk,
        "booking_id": booking.pk,
        "subject_id": f"lead:{lead.pk}",
    }


def _check(report: Report, started: float) -> None:
    text = f"{report.summary()}\nruntime {time.monotonic() - started:.0f} s"
    if os.environ.get("SCHEMATHESIS_SUMMARY"):
        Path(os.environ["SCHEMATHESIS_SUMMARY"]).write_text(text)
    print(text)
    assert report.expected <= report.operations, report.expected - report.operations
    assert not report.errors and not report.failures, report.summary()


@pytest.mark.django_db(transaction=True)
def test_the_api_keeps_its_schema_for_a_tenant_admin(live_server, unthrottled):
    started = time.monotonic()
    _tenant, admin, rows = _seeded_tenant("pro")
    token = RefreshToken.for_user(admin).access_token
    report = _run(
        live_server,
        headers={"Authorization": f"Bearer {token}"},
        rows=rows,
        # signing out everywhere revokes the token the run goes on with (the API key run
        # covers the operation; apps/accounts/tests test it)
        exclude={"/api/v1/auth/logout-all"},
    )
    _check(report, started)


@pytest.mark.django_db(transaction=True)
def test_the_api_keeps_its_schema_for_an_api_key(live_server, unthrottled):
    started = time.monotonic()
    tenant, admin, rows = _seeded_tenant("business")
    _row, key = keys.api_key_create(tenant=tenant, actor=admin, name="Contract")
    # the data rules were covered by the admin's run; this one is about the key's access
    # on every route, so it skips the (long) coverage phase
    report = _run(live_server, headers={"X-Api-Key": key}, rows=rows, coverage=False)
    _check(report, started)
