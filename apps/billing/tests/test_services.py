"""Trials, plan changes and their invariants."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from apps.billing.models import (
    AccessState,
    BillingAccount,
    Plan,
    PlanStatus,
    Subscription,
    UsageMeter,
)
from apps.billing.selectors import plans_ensure_seeded
from apps.billing.tests.helpers import meter_set, plan, start_trial, subscribe
from apps.core.errors import Conflict, ValidationFailed
from apps.features.selectors import entitlements_get
from apps.tenants import services as tenant_services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_six_plans_of_the_design_are_seeded_in_minor_units():
    rows = {
        p.code: (p.price_amount, p.currency, p.lead_limit, p.max_tenants, p.max_members)
        for p in Plan.objects.all()
    }
    assert rows == {
        "trial": (0, "RUB", 50, 1, 3),
        "start": (499000, "RUB", 500, 1, 3),
        "pro": (999000, "RUB", 2000, 3, 10),
        "business": (1999000, "RUB", None, None, None),
        "email_2500": (1999, "EUR", 2500, 1, 3),
        "email_unlimited": (3999, "EUR", None, 1, 3),
    }
    assert plan("trial").trial_days == 14 and plan("trial").tools == ["*"]
    assert plan("pro").name_ru == "Про" and plan("pro").name_en == "Pro"
    assert str(plan("start").price) == "4990.00 RUB"


def test_a_new_tenant_starts_its_14_day_trial():
    user = UserFactory()
    tenant = tenant_services.tenant_create(user=user, name="Ромашка")
    subscription = Subscription.objects.for_tenant(tenant).get()
    assert subscription.plan.code == "trial" and subscription.status == "trialing"
    trial = subscription.trial_ends_at - subscription.current_period_start
    assert trial == timedelta(days=14)
    assert BillingAccount.objects.for_tenant(tenant).get().access_state == AccessState.ACTIVE
    assert UsageMeter.objects.for_tenant(tenant).get().lead_limit == 50
    assert entitlements_get(tenant).is_trial


def test_starting_the_trial_twice_returns_the_first(tenant):
    first = start_trial(tenant)
    assert start_trial(tenant) == first
    assert Subscription.objects.for_tenant(tenant).count() == 1


def test_activate_ends_the_trial_and_starts_a_monthly_period(tenant):
    start_trial(tenant)
    subscription = subscribe(tenant, "pro")
    statuses = dict(Subscription.objects.for_tenant(tenant).values_list("plan__code", "status"))
    assert statuses == {"trial": "expired", "pro": "active"}
    months = (subscription.current_period_end - subscription.current_period_start).days
    assert 28 <= months <= 31


def test_subscribing_twice_to_the_same_plan_is_409(tenant):
    subscribe(tenant, "pro")
    with pytest.raises(Conflict) as err:
        subscribe(tenant, "pro")
    assert err.value.code == "already_subscribed" and err.value.status_code == 409


def test_the_database_allows_one_live_subscription_per_plan(tenant):
    live = subscribe(tenant, "pro")
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            tenant=tenant,
            plan=live.plan,
            status="past_due",
            current_period_start=live.current_period_start,
            current_period_end=live.current_period_end,
        )
    Subscription.objects.create(  # an ended one is history, not live
        tenant=tenant,
        plan=live.plan,
        status="canceled",
        current_period_start=live.current_period_start,
        current_period_end=live.current_period_end,
    )


def test_retired_plans_and_the_trial_cannot_be_bought(tenant):
    Plan.objects.filter(code="start").update(status=PlanStatus.RETIRED)
    with pytest.raises(Conflict):
        subscribe(tenant, "start")
    with pytest.raises(ValidationFailed):
        subscribe(tenant, "trial")


def test_plan_change_keeps_the_count_and_takes_the_new_limit(tenant):
    subscribe(tenant, "start")
    meter_set(tenant, 420)  # 84 %: the 80 % warning would have gone out
    UsageMeter.objects.for_tenant(tenant).update(warned_80_at="2026-01-01T00:00Z")
    subscribe(tenant, "pro", period_start=entitlements_get(tenant).period_start)
    meter = UsageMeter.objects.for_tenant(tenant).get()
    assert (meter.leads_used, meter.lead_limit, meter.plan_code) == (420, 2000, "pro")
    assert meter.warned_80_at is None  # re-armed: 420 is far from 80 % of 2,000


def test_missing_seed_plans_come_back_after_migrate_without_touching_edits():
    Plan.objects.filter(code="email_unlimited").delete()
    Plan.objects.filter(code="start").update(price_amount=555000)
    assert plans_ensure_seeded() == 1
    assert plans_ensure_seeded() == 0
    assert plan("email_unlimited").price_amount == 3999
    # the paid-action settings of the later seed migration come back too
    assert plan("email_unlimited").enrichment_price_amount == 3
    assert plan("email_unlimited").usage_billing == "arrears"
    assert plan("start").price_amount == 555000


def test_rub_plans_stop_at_their_limit_and_promise_only_what_exists_also_after_a_flush():
    assert set(Plan.objects.filter(currency="RUB").values_list("limit_mode", flat=True)) == {"hard"}
    assert "брендинг" not in plan("pro").description_ru
    Plan.objects.filter(code="pro").delete()
    plans_ensure_seeded()
    pro = plan("pro")
    assert pro.limit_mode == "hard" and "branding" not in pro.description_en


def test_channel_limits_and_the_channels_tool_are_seeded_also_after_a_flush():
    migrated = {p.code: (p.max_channels, p.tools) for p in Plan.objects.all()}
    assert {code: migrated[code][0] for code in ("trial", "start", "pro", "business")} == {
        "trial": 2,
        "start": 2,
        "pro": 5,
        "business": None,
    }
    assert all("channels" in migrated[c][1] for c in ("start", "pro", "business"))
    Plan.objects.all().delete()
    plans_ensure_seeded()
    assert {p.code: (p.max_channels, p.tools) for p in Plan.objects.all()} == migrated
