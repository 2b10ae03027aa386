"""The lead quota: hard and soft limits, warnings once each, the unlimited path, release,
and (on PostgreSQL) 20 concurrent reservations near the limit."""

import random
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import translation

from apps.billing.errors import QuotaExceeded
from apps.billing.models import AccessState, BillingAccount, Plan, UsageMeter
from apps.billing.plan_limits import access_state_changed
from apps.billing.quotas import (
    ensure_tenant_accepts_leads,
    lead_quota_release,
    lead_quota_reserve,
    tenant_accepts_leads,
)
from apps.billing.tasks import sweep_usage_warnings_task
from apps.billing.tests.helpers import meter_set, meter_used, start_trial, subscribe
from apps.core.api import exception_handler
from apps.features.selectors import entitlements_get
from tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_unlimited_plan_counts_with_one_statement_and_never_refuses(
    tenant, django_assert_num_queries
):
    subscribe(tenant, "email_unlimited")
    entitlements_get(tenant)  # the snapshot is cached by any earlier request
    lead_quota_reserve(tenant, 1)  # the period's meter is open
    with django_assert_num_queries(3):  # one statement each; the check needs none
        decision = lead_quota_reserve(tenant, 1000)
        lead_quota_release(tenant, 10)
        assert tenant_accepts_leads(tenant)
        lead_quota_reserve(tenant, 9)
    assert (decision.allowed, decision.refused, decision.warning) == (1000, 0, None)
    assert UsageMeter.objects.for_tenant(tenant).get().leads_used == 1000


def test_limited_plan_costs_one_statement(tenant, django_assert_num_queries):
    subscribe(tenant, "email_2500")
    lead_quota_reserve(tenant, 1)
    with django_assert_num_queries(1):
        assert lead_quota_reserve(tenant, 1).allowed == 1


def test_hard_limit_stops_exactly_at_the_limit_and_names_the_plan_that_lifts_it(tenant):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2497)
    decision = lead_quota_reserve(tenant, 5)
    assert (decision.allowed, decision.refused, decision.used) == (3, 2, 2500)
    assert decision.plan_that_lifts == "email_unlimited"  # same currency first
    assert decision.warning
    again = lead_quota_reserve(tenant, 1)
    assert (again.allowed, again.refused) == (0, 1)
    assert meter_used(tenant) == 2500


def test_a_refusal_renders_402_quota_exceeded_with_the_plan(tenant):
    subscribe(tenant, "start")
    meter_set(tenant, 500)
    decision = lead_quota_reserve(tenant, 1)
    with pytest.raises(QuotaExceeded) as err:
        decision.raise_if_refused()
    response = exception_handler(err.value, {})
    assert response.status_code == 402
    error = response.data["error"]
    assert error["code"] == "quota_exceeded" and error["plan"] == "pro"
    assert error["limit"] == 500 and error["refused"] == 1


def _soft(code: str) -> None:
    """No seeded plan is soft (seed 001: over the limit new leads wait); staff may make one."""
    Plan.objects.filter(code=code).update(limit_mode="soft")


def test_pro_stops_new_leads_at_its_limit_with_the_80_and_100_percent_warnings(tenant):
    # given: Pro, 2,000 leads a period, hard (seed 001's edge case)
    subscribe(tenant, "pro")
    meter_set(tenant, 1590)
    # when / then: 80 % warns, the limit refuses the rest and names the plan that lifts it
    at_80 = lead_quota_reserve(tenant, 10)
    assert at_80.allowed == 10 and "80" in at_80.warning
    over = lead_quota_reserve(tenant, 405)
    assert (over.allowed, over.refused, over.used) == (400, 5, 2000)
    assert over.warning and over.plan_that_lifts == "business"
    assert lead_quota_reserve(tenant, 1).refused == 1


def test_soft_limit_accepts_everything_and_warns(tenant):
    _soft("pro")
    subscribe(tenant, "pro")  # 2,000 leads, made soft
    meter_set(tenant, 1590)
    at_80 = lead_quota_reserve(tenant, 10)
    assert at_80.allowed == 10 and at_80.refused == 0 and "80" in at_80.warning
    meter_set(tenant, 1999)
    over = lead_quota_reserve(tenant, 5)
    assert (over.allowed, over.refused, over.used) == (5, 0, 2004)
    assert over.warning and over.plan_that_lifts == "business"


def test_trial_allows_50_leads(tenant):
    start_trial(tenant)
    assert lead_quota_reserve(tenant, 60).allowed == 50
    assert lead_quota_reserve(tenant, 1).refused == 1


def test_release_gives_back_and_never_goes_below_zero(tenant):
    subscribe(tenant, "start")
    lead_quota_reserve(tenant, 4)
    lead_quota_release(tenant, 3)
    assert meter_used(tenant) == 1
    lead_quota_release(tenant, 10)
    assert meter_used(tenant) == 0


def test_a_rolled_back_ingestion_gives_the_reservation_back(tenant):
    subscribe(tenant, "start")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert lead_quota_reserve(tenant, 7).allowed == 7
        raise RuntimeError("the lead insert failed")
    assert meter_used(tenant) == 0


def test_warnings_are_mailed_at_80_and_100_percent_once_each(
    tenant, admin_user, operator_user, django_capture_on_commit_callbacks
):
    subscribe(tenant, "start")
    with django_capture_on_commit_callbacks(execute=True):
        lead_quota_reserve(tenant, 399)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        lead_quota_reserve(tenant, 1)  # 400 = 80 %
        lead_quota_reserve(tenant, 1)
    assert [m.to for m in mail.outbox] == [[admin_user.email]]  # administrators only
    assert "80" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        lead_quota_reserve(tenant, 200)  # crosses 100 %, 101 refused
        lead_quota_reserve(tenant, 1)
    assert len(mail.outbox) == 2
    assert "Про" in mail.outbox[1].body  # names the plan that lifts it


def test_the_plan_that_lifts_the_limit_is_named_in_the_recipients_language(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    subscribe(tenant, "start")
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        lead_quota_reserve(tenant, 500)  # 80 % and 100 % at once

    bodies = [m.body for m in mail.outbox]
    assert bodies and all("The “Pro” plan lifts this limit." in body for body in bodies)
    assert not any("Про" in body for body in bodies)


def test_warning_sweep_catches_a_missed_trigger(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    subscribe(tenant, "start")
    meter_set(tenant, 450)  # 90 %, written behind the quota's back
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_usage_warnings_task.delay().get() == 1
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_usage_warnings_task.delay().get() == 0
    assert len(mail.outbox) == 1


def test_blocked_tenants_do_not_accept_leads(tenant):
    start_trial(tenant)
    assert tenant_accepts_leads(tenant)
    BillingAccount.objects.for_tenant(tenant).update(access_state=AccessState.BLOCKED)

    access_state_changed(tenant)
    assert not tenant_accepts_leads(tenant)
    with pytest.raises(Exception) as err:
        ensure_tenant_accepts_leads(tenant)
    assert err.value.code == "form_unavailable"


def test_tenants_have_separate_meters(tenant, other_tenant):
    subscribe(tenant, "start")
    subscribe(other_tenant, "start")
    lead_quota_reserve(tenant, 3)
    assert meter_used(other_tenant) == 0


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


def _race(tenant, counts):
    """Each count reserved by its own thread with its own connection, all released together."""
    barrier = threading.Barrier(len(counts))
    results, errors = [], []

    def worker(count):
        try:
            barrier.wait(timeout=10)
            results.append((count, lead_quota_reserve(tenant, count)))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_requests_never_pass_a_hard_limit():
    tenant = TenantFactory()
    MembershipFactory(tenant=tenant)
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2490)
    results = _race(tenant, [1] * 20)
    assert sum(d.allowed for _c, d in results) == 10
    assert sum(d.refused for _c, d in results) == 10
    assert meter_used(tenant) == 2500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_near_the_limit_grant_exactly_what_is_left():
    tenant = TenantFactory()
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2440)
    counts = [random.randint(1, 9) for _ in range(20)]
    results = _race(tenant, counts)
    granted = sum(d.allowed for _c, d in results)
    assert granted == min(60, sum(counts))
    assert all(d.allowed + d.refused == c for c, d in results)
    assert meter_used(tenant) == 2440 + granted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_requests_lose_no_increment_on_a_soft_limit():
    tenant = TenantFactory()
    _soft("pro")
    try:
        subscribe(tenant, "pro")
        meter_set(tenant, 1990)
        results = _race(tenant, [3] * 20)
    finally:
        Plan.objects.filter(code="pro").update(limit_mode="hard")
    assert all(d.allowed == 3 for _c, d in results)
    assert meter_used(tenant) == 2050


def test_one_snapshot_can_serve_both_checks(tenant, django_assert_num_queries):
    subscribe(tenant, "email_2500")
    lead_quota_reserve(tenant, 1)
    ent = entitlements_get(tenant)
    with django_assert_num_queries(1):
        assert tenant_accepts_leads(tenant, entitlements=ent)
        assert lead_quota_reserve(tenant, 2, entitlements=ent).allowed == 2
