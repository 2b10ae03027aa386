"""Plans (public), usage and subscription API."""

import pytest

from apps.billing.models import Plan, PlanStatus
from apps.billing.quotas import lead_quota_reserve
from apps.billing.tests.helpers import start_trial, subscribe
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/plans/"


def _url(tenant, suffix):
    return f"/api/v1/tenants/{tenant.id}/billing/{suffix}/"


def test_plans_are_public_with_prices_in_minor_units_and_localized_names(
    api_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        body = api_client.get(PLANS, HTTP_ACCEPT_LANGUAGE="en").json()
    plans = {p["code"]: p for p in body}
    assert list(plans) == ["trial", "start", "pro", "business", "email_2500", "email_unlimited"]
    assert plans["start"]["price"] == {"amount": 499000, "currency": "RUB"}
    assert plans["email_2500"]["price"] == {"amount": 1999, "currency": "EUR"}
    assert plans["pro"]["name"] == "Pro" and plans["pro"]["names"] == {"ru": "Про", "en": "Pro"}
    assert plans["business"]["lead_limit"] is None and "api_access" in plans["business"]["tools"]
    assert plans["trial"]["trial_days"] == 14
    assert plans["trial"]["tools"] == [  # the built tools only
        "advanced_analytics",
        "api_access",
        "booking",
        "channels",
        "enrichment",
        "export",
        "extended_analytics",
        "hyrocall",
        "hyropage",
        "messaging_rules",
        "upsell",
        "webhooks",
    ]
    ru = api_client.get(PLANS, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert ru[2]["name"] == "Про"


def test_closed_and_retired_plans_are_not_on_sale(api_client):
    Plan.objects.filter(code="email_2500").update(status=PlanStatus.CLOSED)
    Plan.objects.filter(code="start").update(status=PlanStatus.RETIRED)
    codes = [p["code"] for p in api_client.get(PLANS).json()]
    assert "email_2500" not in codes and "start" not in codes


def test_usage_shows_used_limit_and_days_left(tenant, analyst_api):
    start_trial(tenant)
    lead_quota_reserve(tenant, 42)
    body = analyst_api.get(_url(tenant, "usage")).json()
    assert (body["used"], body["limit"], body["remaining"], body["percent"]) == (42, 50, 8, 84)
    assert body["level"] == "warning" and body["limit_mode"] == "hard" and body["plan"] == "trial"
    assert 0 <= body["days_left"] <= 31


def test_usage_on_an_unlimited_plan_counts_leads(tenant, analyst_api):
    subscribe(tenant, "business")
    Lead.objects.create(tenant=tenant, name="A", identity_key="a")
    body = analyst_api.get(_url(tenant, "usage")).json()
    assert body["used"] == 1 and body["limit"] is None and body["percent"] is None


def test_subscription_shows_plan_status_and_access(tenant, analyst_api):
    start_trial(tenant)
    body = analyst_api.get(_url(tenant, "subscription")).json()
    assert body["plan"]["code"] == "trial" and body["status"] == "trialing"
    assert body["trial_ends_at"] and body["access_state"] == "active"
    assert body["access_message"] is None


@pytest.mark.parametrize("suffix", ["usage", "subscription"])
def test_billing_endpoints_are_404_for_outsiders_and_401_anonymous(
    tenant, outsider_api, api_client, suffix
):
    start_trial(tenant)
    assert outsider_api.get(_url(tenant, suffix)).status_code == 404
    assert api_client.get(_url(tenant, suffix)).status_code == 401


def test_usage_query_count_is_fixed(tenant, analyst_api, django_assert_max_num_queries):
    start_trial(tenant)
    analyst_api.get(_url(tenant, "usage"))
    with django_assert_max_num_queries(3):  # user, membership, meter
        assert analyst_api.get(_url(tenant, "usage")).status_code == 200
