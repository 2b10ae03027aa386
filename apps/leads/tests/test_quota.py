"""Ingestion counts new leads against the plan's lead limit (apps/billing/quotas.py)."""

import json

import pytest

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
