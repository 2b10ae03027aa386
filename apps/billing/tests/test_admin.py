"""Staff switch tools, edit plans and assign plans in the admin; tenants see it at once."""

import pytest

from apps.billing.models import BillingAccount, Plan, Subscription
from apps.billing.tests.helpers import start_trial, subscribe
from apps.features.models import TenantFeature, TenantFeatureHistory

pytestmark = pytest.mark.django_db


def _features_url(tenant):
    return f"/api/v1/tenants/{tenant.id}/features/"


def _enabled(api, tenant):
    tools = api.get(_features_url(tenant)).json()["tools"]
    return {t["key"] for t in tools if t["enabled"]}


def test_staff_grant_a_tool_in_admin_and_the_tenant_sees_it_on_the_next_request(
    admin_client_staff, tenant, analyst_api, django_capture_on_commit_callbacks
):
    subscribe(tenant, "start")
    assert "export" not in _enabled(analyst_api, tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_staff.post(
            "/admin/features/tenantfeature/add/",
            {"tenant": str(tenant.pk), "feature": "export", "mode": "grant", "reason": "deal"},
        )
    assert response.status_code == 302
    assert "export" in _enabled(analyst_api, tenant)
    history = TenantFeatureHistory.objects.for_tenant(tenant).get()
    assert history.actor == admin_client_staff.staff_user and history.reason == "deal"

    override = TenantFeature.objects.for_tenant(tenant).get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_staff.post(
            f"/admin/features/tenantfeature/{override.pk}/delete/", {"post": "yes"}
        )
    assert "export" not in _enabled(analyst_api, tenant)


def test_admin_refuses_an_override_without_a_reason(admin_client_staff, tenant):
    response = admin_client_staff.post(
        "/admin/features/tenantfeature/add/",
        {"tenant": str(tenant.pk), "feature": "export", "mode": "grant", "reason": ""},
    )
    assert response.status_code == 200 and not TenantFeature.objects.unscoped().exists()


def test_plan_edit_in_admin_reaches_tenants(admin_client_staff, tenant, analyst_api):
    subscribe(tenant, "start")
    assert "export" not in _enabled(analyst_api, tenant)
    plan = Plan.objects.get(code="start")
    page = admin_client_staff.get(f"/admin/billing/plan/{plan.pk}/change/")
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and key not in ("tools", "provider_price_ids", "id")
    }
    data.update({"tools": ["messaging_rules", "export"], "provider_price_ids": "{}"})
    response = admin_client_staff.post(f"/admin/billing/plan/{plan.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "export" in _enabled(analyst_api, tenant)


def test_staff_put_a_tenant_on_a_plan_from_its_billing_account(admin_client_staff, tenant):
    start_trial(tenant)

    account = BillingAccount.objects.for_tenant(tenant).get()
    pro = Plan.objects.get(code="pro")
    response = admin_client_staff.post(
        f"/admin/billing/billingaccount/{account.pk}/change/", {"assign_plan": str(pro.pk)}
    )
    assert response.status_code == 302
    live = Subscription.objects.for_tenant(tenant).filter(status="active").get()
    assert live.plan == pro and live.created_by == admin_client_staff.staff_user


def test_admin_lists_render(admin_client_staff, tenant):
    start_trial(tenant)
    for url in (
        "/admin/billing/plan/",
        "/admin/billing/subscription/",
        "/admin/billing/billingaccount/",
        "/admin/billing/usagemeter/",
        "/admin/features/tenantfeature/",
        "/admin/features/tenantfeaturehistory/",
        "/admin/waffle/flag/",
    ):
        assert admin_client_staff.get(url).status_code == 200, url
