"""Ingestion counts new leads against the plan's lead limit (apps/billing/quotas.py)."""

import json

import pytest

from apps.billing.models import UsageMeter
from apps.billing.tests.helpers import meter_set, meter_used, subscribe
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.leads.tests.conftest import make_leads, url
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

GOOD = {"email": "v@example.com", "consents": {"processing": True}}


@pytest.fixture
def nearly_full(tenant):
    """A hard limit (email_2500) with two leads left this period."""
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2498)
    return tenant


def test_a_batch_beyond_a_hard_limit_stores_what_fits(nearly_full):
    (existing,) = make_leads(nearly_full, [{"email": "old@example.com"}])  # 2499 used
    outcome = ingest_leads(
        tenant=nearly_full,
        items=[
            {"email": "a@example.com"},
            {"email": "old@example.com"},  # a merge is never refused
            {"email": "b@example.com"},
            {"email": "A@example.com"},  # merges into the refused-or-kept a@
        ],
        source="api",
    )
    statuses = [r.status for r in outcome.results]
    assert statuses == ["created", "merged", "rejected", "merged"]
    assert outcome.results[1].lead_id == existing
    assert "non_field_errors" in outcome.results[2].errors
    assert outcome.quota_error is not None and outcome.quota_error.code == "quota_exceeded"
    assert meter_used(nearly_full) == 2500
    with tenant_scope(nearly_full):
        assert Lead.objects.count() == 2


def test_one_lead_beyond_a_hard_limit_answers_402(operator_api, tenant):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2500)
    response = operator_api.post(
        url("api-leads", tenant), {"email": "x@example.com"}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "quota_exceeded"
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_the_widget_is_politely_unavailable_beyond_the_limit(client, tenant, publishable_key):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2500)
    response = client.post(
        f"/api/public/v1/widget/{publishable_key}/leads/",
        json.dumps(GOOD),
        content_type="application/json",
        HTTP_ORIGIN="https://example.com",  # the tenant's site
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "form_unavailable" and "plan" not in error["message"].lower()
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_an_unlimited_plan_takes_everything(tenant):
    subscribe(tenant, "email_unlimited")
    outcome = ingest_leads(
        tenant=tenant, items=[{"lead_id": str(i)} for i in range(30)], source="api"
    )
    assert outcome.summary["created"] == 30 and outcome.quota_error is None


# A single submission (the widget, one API lead) reserves its lead in the lock-and-find round
# trip, before it knows whether it merges (apps/leads/ingestion/service.py, PostgreSQL).


def test_a_single_new_lead_counts_once(tenant):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 10)
    outcome = ingest_leads(tenant=tenant, items=[{"email": "new@example.com"}], source="widget")
    assert outcome.results[0].status == "created" and outcome.quota_error is None
    assert meter_used(tenant) == 11


def test_a_single_merge_gives_its_reservation_back(tenant):
    subscribe(tenant, "email_2500")
    make_leads(tenant, [{"email": "again@example.com"}])
    meter_set(tenant, 10)
    outcome = ingest_leads(tenant=tenant, items=[{"email": "again@example.com"}], source="widget")
    assert outcome.results[0].status == "merged" and outcome.quota_error is None
    assert meter_used(tenant) == 10


def test_at_a_hard_limit_a_single_merge_is_taken_and_a_new_lead_refused(nearly_full):
    make_leads(nearly_full, [{"email": "known@example.com"}])
    meter_set(nearly_full, 2500)
    merged = ingest_leads(
        tenant=nearly_full, items=[{"email": "known@example.com"}], source="widget"
    )
    refused = ingest_leads(
        tenant=nearly_full, items=[{"email": "stranger@example.com"}], source="widget"
    )
    assert merged.results[0].status == "merged" and merged.quota_error is None
    assert refused.results[0].status == "rejected" and refused.quota_error is not None
    assert meter_used(nearly_full) == 2500
    with tenant_scope(nearly_full):
        assert not Lead.objects.filter(email="stranger@example.com").exists()


def test_the_first_single_lead_of_a_period_opens_its_meter(tenant):
    subscribe(tenant, "email_2500")
    UsageMeter.objects.for_tenant(tenant).delete()
    outcome = ingest_leads(tenant=tenant, items=[{"email": "first@example.com"}], source="api")
    assert outcome.results[0].status == "created"
    assert meter_used(tenant) == 1
