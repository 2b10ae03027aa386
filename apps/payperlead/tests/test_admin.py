"""Staff console: rate cards (publish new versions), periods (close), reports, lines and
"why was this billed?"."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from apps.leads.ingestion import ingest_leads
from apps.leads.models import LeadAction
from apps.payperlead import cards, services
from apps.payperlead.models import BillingPeriod, PeriodStatus, RateCard
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "leads/fixtures/seed_002_sample.json"


@pytest.fixture
def seeded(tenant):
    ingest_leads(tenant=tenant, items=json.loads(SAMPLE.read_text()), source="api")
    ingest_leads(
        tenant=tenant,
        source="api",
        items=[
            {
                "lead_id": "uuid-1",
                "customer_id": "customer-123",
                "product_id": "product-abc",
                "actions": [
                    {
                        "action_type": "Form Submission",
                        "timestamp": "2024-04-09T10:00:00Z",
                        "engagement_level": "High",
                    }
                ],
            }
        ],
    )
    return tenant


def test_staff_pages_list_every_tenants_rows(seeded, other_tenant, admin_client_staff):
    with tenant_scope(seeded):
        services.report_compute_all(tenant=seeded, period=date(2024, 4, 1))
    for name in ("ratecard", "billingperiod", "billingreport", "billingline"):
        response = admin_client_staff.get(reverse(f"admin:payperlead_{name}_changelist"))
        assert response.status_code == 200, name
    card = RateCard.objects.for_tenant(seeded).get()
    response = admin_client_staff.get(reverse("admin:payperlead_ratecard_change", args=[card.pk]))
    assert response.status_code == 200


def test_adding_a_card_publishes_a_new_version(seeded, admin_client_staff):
    with tenant_scope(seeded):
        cards.rate_card_ensure_default(seeded)
    response = admin_client_staff.post(
        reverse("admin:payperlead_ratecard_add"),
        {
            "tenant": seeded.pk,
            "customer": "",
            "lead_type": "",
            "valid_from_0": "2024-04-15",
            "valid_from_1": "00:00:00",
            "currency": "usd",
            "value_high": 1500,
            "value_medium": 700,
            "value_low": 300,
            "cap": 12000,
            "note": "spring prices",
        },
    )
    assert response.status_code == 302
    versions = RateCard.objects.for_tenant(seeded).order_by("version")
    assert [(c.version, c.value_high, c.currency) for c in versions] == [
        (1, 1000, "USD"),
        (2, 1500, "USD"),
    ]
    assert versions[0].valid_to == versions[1].valid_from


def test_closing_a_month_from_the_console(seeded, admin_client_staff):
    period = BillingPeriod.objects.create(tenant=seeded, month=date(2024, 4, 1))
    response = admin_client_staff.post(
        reverse("admin:payperlead_billingperiod_changelist"),
        {"action": "close_periods", "_selected_action": [period.pk]},
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED


def test_why_was_this_billed_shows_the_line_card_and_duplicate(seeded, admin_client_staff):
    first, repeat = (
        LeadAction.objects.for_tenant(seeded)
        .filter(action_type="Form Submission", lead__external_id="uuid-1")
        .order_by("occurred_at")
    )
    response = admin_client_staff.get(reverse("admin:payperlead_why", args=[repeat.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"#{first.pk}" in body
    explanation = response.context["explanation"]
    assert explanation.line.reason == "duplicate" and explanation.original.action_id == first.pk
    assert explanation.card.version == 1
    # the form redirects to the action's page; an unknown id says so
    form = admin_client_staff.get(reverse("admin:payperlead_why_form"), {"action": str(first.pk)})
    assert form.status_code == 302
    missing = admin_client_staff.get(reverse("admin:payperlead_why", args=[999999]))
    assert missing.status_code == 200 and missing.context.get("action") is None


def test_the_console_is_for_staff_only(seeded, admin_client_web):
    response = admin_client_web.get(reverse("admin:payperlead_why", args=[1]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
