"""Billing tells features about plan, subscription and access changes with typed events
(billing never imports features); features recomputes the tenant's entitlements."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from waffle.models import Flag

from apps.billing.events import AccessStateChanged, PlanCatalogueChanged, SubscriptionChanged
from apps.billing.models import AccessState, BillingAccount, Subscription
from apps.billing.plan_limits import PlanLimits, plan_limits_get, plan_limits_invalidate
from apps.billing.tests.helpers import plan, subscribe
from apps.core.events import emit, subscribers
from apps.core.release_flags import flag_active as any_app_flag_active
from apps.features.flags import flag_active, flag_whitelist_changed
from apps.features.models import FlagTenant
from apps.features.selectors import (
    entitlements_get,
    on_billing_changed,
    on_plan_catalogue_changed,
)

pytestmark = pytest.mark.django_db


def test_features_subscribes_to_billings_changes():
    assert on_billing_changed in subscribers(SubscriptionChanged)
    assert on_billing_changed in subscribers(AccessStateChanged)
    assert on_plan_catalogue_changed in subscribers(PlanCatalogueChanged)


def test_the_event_is_what_invalidates_the_entitlements(tenant):
    # given cached entitlements and a plan switched behind the services' back
    subscribe(tenant, "start")
    assert not entitlements_get(tenant).has("export")
    Subscription.objects.for_tenant(tenant).update(plan=plan("pro"))
    plan_limits_invalidate(tenant)  # billing's own snapshot only

    # then features still serves its snapshot, until billing's event arrives
    assert not entitlements_get(tenant).has("export")
    emit(SubscriptionChanged(tenant_id=str(tenant.pk)))
    ent = entitlements_get(tenant)
    assert ent.has("export") and ent.plan_code == "pro"


def test_an_access_change_switches_the_tools_off_in_the_same_transaction(tenant):
    subscribe(tenant, "pro")
    assert entitlements_get(tenant).has("export")
    BillingAccount.objects.for_tenant(tenant).update(access_state=AccessState.READ_ONLY)
    plan_limits_invalidate(tenant)
    emit(AccessStateChanged(tenant_id=str(tenant.pk)))
    ent = entitlements_get(tenant)
    assert ent.is_read_only and ent.tools == frozenset()


def test_a_catalogue_event_invalidates_every_tenant(tenant, other_tenant):
    subscribe(tenant, "start")
    subscribe(other_tenant, "start")
    before = [entitlements_get(t) for t in (tenant, other_tenant)]
    emit(PlanCatalogueChanged(plan_code="start"))
    after = [entitlements_get(t) for t in (tenant, other_tenant)]
    assert all(a is not b for a, b in zip(before, after, strict=True))


def test_entitlements_answer_billings_questions_too(tenant):
    subscribe(tenant, "pro")
    ent = entitlements_get(tenant)
    assert isinstance(ent, PlanLimits)
    limits = plan_limits_get(tenant)
    assert (ent.lead_limit, ent.max_members, ent.period_start) == (
        limits.lead_limit,
        limits.max_members,
        limits.period_start,
    )


def test_any_app_asks_release_flags_with_the_company_whitelist(tenant, other_tenant):
    FlagTenant.objects.create(flag=Flag.objects.get(name="dashboard_beta"), tenant=tenant)
    flag_whitelist_changed("dashboard_beta")
    for company, expected in ((tenant, True), (other_tenant, False)):
        request = RequestFactory().get("/")
        request.user, request.tenant = AnonymousUser(), company
        assert any_app_flag_active(request, "dashboard_beta") is expected
        assert flag_active(request, "dashboard_beta") is expected
