"""The billing page, the banner and the usage bar in the dashboard."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from waffle.models import Flag

from apps.billing.models import AccessState, BillingAccount
from apps.billing.plan_limits import access_state_changed
from apps.billing.quotas import lead_quota_reserve
from apps.billing.tests.helpers import start_trial, subscribe
from apps.features.flags import flag_whitelist_changed
from apps.features.models import FlagTenant

pytestmark = pytest.mark.django_db


def _url(tenant):
    return reverse("billing:overview", args=[tenant.slug])


def test_billing_page_shows_plan_trial_and_usage(tenant, analyst_client_web):
    start_trial(tenant)
    lead_quota_reserve(tenant, 45)
    response = analyst_client_web.get(_url(tenant))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["usage"].used == 45
    assert '<progress value="45" max="50"' in html
    assert response.context["subscription"].plan.code == "trial"
    assert response.context["show_plans"]  # new_billing is rolled out to everyone


def test_plan_cards_sell_only_tools_that_exist_and_state_the_lead_limit(
    tenant, admin_client_web, english_ui
):
    start_trial(tenant)
    response = admin_client_web.get(_url(tenant))
    html = response.content.decode()
    cards = html[html.index('id="plans-title"') :]
    assert "Includes: AI enrichment, Export" in cards  # Pro
    assert "Extended analytics" in cards  # built now: sold
    for unbuilt in ("Custom branding", "branding"):
        assert unbuilt not in cards
    assert "HyroPage" in cards and "Upsell radar" in cards  # built now: sold
    assert "Webhooks" in cards  # built now (apps/integrations): Business sells it
    assert "new leads are refused until you move to a larger plan" in cards


def test_new_billing_kill_switch_hides_the_plans(tenant, analyst_client_web):
    start_trial(tenant)
    Flag.objects.filter(name="new_billing").update(everyone=False)
    cache.clear()  # waffle caches flags
    response = analyst_client_web.get(_url(tenant))
    assert not response.context["show_plans"]


def test_billing_page_lists_plans_when_new_billing_is_on_for_the_tenant(tenant, admin_client_web):
    subscribe(tenant, "start")
    FlagTenant.objects.create(flag=Flag.objects.get(name="new_billing"), tenant=tenant)
    flag_whitelist_changed("new_billing")
    response = admin_client_web.get(_url(tenant))
    assert response.context["show_plans"]
    assert [p.code for p in response.context["plans"]][:3] == ["start", "pro", "business"]


def test_billing_page_is_404_for_an_outsider(tenant, outsider_client_web):
    start_trial(tenant)
    assert outsider_client_web.get(_url(tenant)).status_code == 404


def test_billing_page_query_count_is_fixed(
    tenant, analyst_client_web, django_assert_max_num_queries
):
    start_trial(tenant)
    analyst_client_web.get(_url(tenant))
    # + paid-action charges and the billing history (its first page), one query each
    with django_assert_max_num_queries(11):
        assert analyst_client_web.get(_url(tenant)).status_code == 200


def test_overview_shows_the_usage_bar_the_trial_banner_and_the_modules_link(
    tenant, analyst_client_web
):
    start_trial(tenant)
    lead_quota_reserve(tenant, 41)
    html = analyst_client_web.get(reverse("web:overview", args=[tenant.slug])).content.decode()
    assert '<progress value="41" max="50"' in html
    assert "billing-banner" in html
    assert reverse("features:modules", args=[tenant.slug]) in html
    assert _url(tenant) in html


def test_read_only_banner_asks_to_choose_a_plan(tenant, analyst_client_web):
    start_trial(tenant)
    BillingAccount.objects.for_tenant(tenant).update(access_state=AccessState.READ_ONLY)
    access_state_changed(tenant)
    response = analyst_client_web.get(reverse("features:modules", args=[tenant.slug]))
    html = response.content.decode()
    assert response.status_code == 200 and "alert-warning billing-banner" in html
    assert all(not t["enabled"] for t in response.context["tools"])


def test_a_tenant_without_plan_shows_no_banner_and_no_bar(tenant, analyst_client_web):
    html = analyst_client_web.get(reverse("web:overview", args=[tenant.slug])).content.decode()
    assert "billing-banner" not in html and "<progress value=" not in html.split("checklist")[0]
