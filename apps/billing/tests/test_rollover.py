"""Usage periods: calendar months for trials and gaps, the subscription's own period for paid
plans; the beat task is safe to run twice and keeps the history."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.billing import services
from apps.billing.models import UsageMeter
from apps.billing.quotas import lead_quota_reserve
from apps.billing.selectors import calendar_month, meter_history
from apps.billing.tasks import roll_usage_periods_task
from apps.billing.tests.helpers import start_trial, subscribe
from apps.features.selectors import entitlements_get
from apps.leads.models import Lead
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_calendar_month_is_taken_in_the_project_time_zone():
    start, end = calendar_month(datetime(2026, 2, 28, 22, 30, tzinfo=UTC))  # 01:30 Moscow
    assert timezone.localtime(start).strftime("%Y-%m-%d %H:%M") == "2026-03-01 00:00"
    assert timezone.localtime(end).strftime("%Y-%m-%d") == "2026-04-01"


def test_trial_counts_by_calendar_month_and_rolls_over_with_history(tenant):
    with time_machine.travel(MARCH, tick=False):
        start_trial(tenant)
        lead_quota_reserve(tenant, 30)
    april = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)  # 03:30 Moscow, April
    with time_machine.travel(april, tick=False):
        assert roll_usage_periods_task.delay().get() == 1
        assert roll_usage_periods_task.delay().get() == 0  # safe to run twice
        decision = lead_quota_reserve(tenant, 45)
        assert decision.allowed == 45 and decision.used == 45
    history = [
        (timezone.localtime(m.period_start).month, m.leads_used) for m in meter_history(tenant)
    ]
    assert history == [(4, 45), (3, 30)]


def test_paid_plan_periods_follow_the_subscription(tenant):
    start = MARCH
    with time_machine.travel(start, tick=False):
        subscribe(tenant, "start", period_start=start, period_end=start + timedelta(days=30))
        ent = entitlements_get(tenant)
        assert (ent.period_start, ent.period_end) == (start, start + timedelta(days=30))
        lead_quota_reserve(tenant, 499)
        assert lead_quota_reserve(tenant, 2).refused == 1
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        # the renewal has not moved the period yet: the calendar month bridges the gap
        assert lead_quota_reserve(tenant, 2).allowed == 2


def test_rollover_opens_a_meter_for_every_billed_tenant_once(tenant, other_tenant):
    with time_machine.travel(MARCH, tick=False):
        start_trial(tenant)
        subscribe(other_tenant, "pro")
        TenantFactory()  # not billed: no meter
    with time_machine.travel(MARCH + timedelta(days=40), tick=False):
        assert services.usage_periods_roll() == 2
        assert services.usage_periods_roll() == 0
    assert UsageMeter.objects.unscoped().count() == 4


def test_closing_an_unlimited_period_records_its_lead_count(tenant):
    with time_machine.travel(MARCH, tick=False):
        subscribe(tenant, "business")
        for n in range(3):
            Lead.objects.create(tenant=tenant, name=f"L{n}", identity_key=f"k{n}")
    with time_machine.travel(MARCH + timedelta(days=40), tick=False):
        services.usage_periods_roll()
    march = UsageMeter.objects.for_tenant(tenant).order_by("period_start").first()
    assert march.lead_limit is None and march.leads_used == 3
