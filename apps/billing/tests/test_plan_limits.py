"""Billing's own plan-limits snapshot: what the quota, the read-only middleware and billing's
pages read, cached per tenant, and the typed events billing emits when it changes."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone

from apps.billing import plan_limits, services
from apps.billing.events import AccessStateChanged, PlanCatalogueChanged, SubscriptionChanged
from apps.billing.lead_counter import leads_created_between
from apps.billing.models import AccessState, BillingAccount, Plan
from apps.billing.plan_limits import access_get, plan_limits_for_request, plan_limits_get
from apps.billing.tests.helpers import start_trial, subscribe
from apps.leads.ingestion import ingest_leads

pytestmark = pytest.mark.django_db


@pytest.fixture
def emitted(monkeypatch):
    """The typed events billing emits (still delivered to their subscribers)."""
    seen = []
    emit = plan_limits.emit

    def record(event):
        seen.append(event)
        emit(event)

    monkeypatch.setattr(plan_limits, "emit", record)
    return seen


def test_plan_limits_come_from_billings_own_plan(tenant):
    subscribe(tenant, "pro")
    limits = plan_limits_get(tenant)
    pro = Plan.objects.get(code="pro")
    assert (limits.plan_code, limits.lead_limit, limits.max_members, limits.max_tenants) == (
        "pro",
        pro.lead_limit,
        pro.max_members,
        pro.max_tenants,
    )
    assert limits.is_active and limits.currency == pro.currency
    assert limits.plan_tools == tuple(pro.tools)
    assert limits.lift_plan.code == "business"


def test_a_trial_has_its_limits_and_days_left(tenant):
    start_trial(tenant)
    limits = plan_limits_get(tenant)
    assert (limits.plan_code, limits.lead_limit, limits.limit_mode) == ("trial", 50, "hard")
    assert limits.is_trial and limits.trial_days_left == 14


def test_no_subscription_means_no_limits_and_full_access(tenant):
    limits = plan_limits_get(tenant)
    assert limits.plan is None and limits.unlimited and limits.is_active


def test_warm_limits_cost_no_query(tenant, django_assert_num_queries):
    subscribe(tenant, "pro")
    plan_limits_get(tenant)
    with django_assert_num_queries(0):
        assert plan_limits_get(tenant).lead_limit is not None
        assert access_get(tenant).is_active


def test_access_alone_costs_one_query_when_cold(tenant, django_assert_num_queries):
    start_trial(tenant)
    cache.clear()
    with django_assert_num_queries(1):
        assert access_get(tenant).is_active


def test_a_subscription_change_is_seen_at_once_and_announced(tenant, emitted):
    subscribe(tenant, "start")
    assert plan_limits_get(tenant).plan_code == "start"
    subscribe(tenant, "pro")
    assert plan_limits_get(tenant).plan_code == "pro"
    assert SubscriptionChanged(tenant_id=str(tenant.pk)) in emitted


def test_the_trial_ending_and_blocking_are_seen_and_announced(tenant, emitted):
    start_trial(tenant)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1), tick=False):
        services.trials_expire()
        assert plan_limits_get(tenant).is_read_only and access_get(tenant).is_read_only
    assert services.access_block(tenant=tenant, reason="test")
    assert plan_limits_get(tenant).is_blocked
    assert AccessStateChanged(tenant_id=str(tenant.pk)) in emitted


def test_a_plan_edit_reaches_every_tenant_and_is_announced(tenant, other_tenant, emitted):
    subscribe(tenant, "start")
    subscribe(other_tenant, "start")
    assert plan_limits_get(tenant).lead_limit != 700
    start = Plan.objects.get(code="start")
    start.lead_limit = 700
    services.plan_save(plan=start)
    assert plan_limits_get(tenant).lead_limit == 700
    assert plan_limits_get(other_tenant).lead_limit == 700
    assert PlanCatalogueChanged(plan_code="start") in emitted


def test_a_change_behind_the_services_back_needs_the_invalidation(tenant):
    start_trial(tenant)
    assert plan_limits_get(tenant).is_active
    BillingAccount.objects.for_tenant(tenant).update(access_state=AccessState.BLOCKED)
    plan_limits.access_state_changed(tenant)
    assert plan_limits_get(tenant).is_blocked


def test_one_request_reads_the_limits_once(tenant, django_assert_num_queries):
    subscribe(tenant, "pro")
    request = RequestFactory().get("/")
    request.tenant = tenant
    first = plan_limits_for_request(request)
    cache.clear()  # a second read would have to query
    with django_assert_num_queries(0):
        assert plan_limits_for_request(request) is first


def test_a_tenant_reference_resolves_by_uuid_or_slug(tenant):
    assert plan_limits.tenant_id_from_ref(tenant.slug) == str(tenant.pk)
    assert plan_limits.tenant_id_from_ref(str(tenant.pk)) == str(tenant.pk)
    assert plan_limits.tenant_id_from_ref("no-such-company") is None


@pytest.mark.django_db
def test_usage_of_an_unlimited_plan_counts_the_leads_through_the_registered_counter(tenant):
    ingest_leads(tenant=tenant, items=[{"lead_id": "a"}, {"lead_id": "b"}], source="api")
    now = timezone.now()

    assert leads_created_between(tenant, now - timedelta(days=1), now + timedelta(days=1)) == 2
    assert leads_created_between(tenant, now + timedelta(days=1), now + timedelta(days=2)) == 0


def test_the_catalogue_is_stored_with_its_token_and_a_plan_edit_replaces_it(
    django_assert_num_queries,
):
    catalogue = plan_limits.plan_catalogue()
    # one key holds (token, plans): one get_many reads it with the current token
    token, stored = cache.get("plans:list")
    assert token == cache.get(plan_limits.CATALOGUE_VERSION) and stored == catalogue
    with django_assert_num_queries(0):
        assert plan_limits.plan_catalogue() == catalogue
    plan = Plan.objects.get(code=catalogue[0].code)
    plan.lead_limit = 701
    services.plan_save(plan=plan)  # a new token: the stored copy is stale
    fresh = {p.code: p for p in plan_limits.plan_catalogue()}
    assert fresh[plan.code].lead_limit == 701
