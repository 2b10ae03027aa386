"""Reads of plans, subscriptions, access state and usage."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from apps.billing.lead_counter import leads_created_between
from apps.billing.models import (
    LIVE_STATUSES,
    TRIAL_PLAN_CODE,
    AccessState,
    BillingAccount,
    BillingInterval,
    LimitMode,
    Plan,
    PlanStatus,
    Subscription,
    UsageMeter,
)
from apps.billing.usage_counter import meter_leads_used
from apps.payments.models import Payment


class PeriodBounds(Protocol):
    """The bounds of a billing period: `plan_limits.PlanLimits` (or anything built on it)."""

    @property
    def period_start(self) -> datetime: ...

    @property
    def period_end(self) -> datetime: ...


def plan_list_public():
    """Plans on sale (status active), cheapest first within the catalogue order."""
    return Plan.objects.filter(status=PlanStatus.ACTIVE).order_by(
        "sort_order", "price_amount", "code"
    )


def plan_get(code: str) -> Plan:
    return Plan.objects.get(code=code)


def trial_plan() -> Plan:
    return Plan.objects.get(code=TRIAL_PLAN_CODE)


def subscription_current(tenant) -> Subscription | None:
    """The subscription that sets the tenant's plan: the newest live one, else the newest
    ended one (so a lapsed trial keeps its limits while read-only)."""
    rows = list(
        Subscription.objects.for_tenant(tenant).select_related("plan").order_by("-created_at")[:5]
    )
    live = [s for s in rows if s.status in LIVE_STATUSES]
    return (live or rows or [None])[0]


def subscription_paid_live(tenant) -> Subscription | None:
    """The live paid (not trial) subscription, if any: a tenant holds at most one."""
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(status__in=LIVE_STATUSES, plan__trial_days=0)  # not a trial
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )


def billing_account_get(tenant) -> BillingAccount | None:
    return BillingAccount.objects.for_tenant(tenant).first()


def calendar_month(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (in the project's time zone) that contains `now`."""
    local = timezone.localtime(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, start + relativedelta(months=1)


def interval_delta(interval: str) -> relativedelta:
    return relativedelta(years=1) if interval == BillingInterval.YEAR else relativedelta(months=1)


def usage_period(subscription: Subscription | None, now: datetime) -> tuple[datetime, datetime]:
    """The usage period containing `now`: the subscription's own period for paid plans,
    the calendar month for trials, manual plans and any gap (e.g. a renewal running late)."""
    if (
        subscription is not None
        and subscription.is_live
        and not subscription.plan.is_trial
        and subscription.current_period_start <= now < subscription.current_period_end
    ):
        return subscription.current_period_start, subscription.current_period_end
    return calendar_month(now)


def access_state_get(tenant) -> tuple[str, datetime | None]:
    """(access state, read-only until) in one query; no account row means active."""
    row = (
        BillingAccount.objects.for_tenant(tenant)
        .values_list("access_state", "read_only_until")
        .first()
    )
    return row if row is not None else (AccessState.ACTIVE, None)


def cheapest_plan(
    plans: Iterable[Plan], currency: str | None, accepts: Callable[[Plan], bool]
) -> Plan | None:
    """The cheapest paid plan of `plans` that `accepts`: plans in the tenant's currency first
    (RUB for trials), then by price."""
    currency = currency or "RUB"
    candidates = [p for p in plans if not p.is_trial and accepts(p)]
    ranked = sorted(
        candidates, key=lambda p: (p.currency != currency, p.price_amount, p.sort_order)
    )
    return ranked[0] if ranked else None


def cheapest_plan_above(catalogue, lead_limit: int | None, currency: str | None) -> Plan | None:
    """The cheapest plan on sale that allows more leads per period than `lead_limit`."""
    if lead_limit is None:
        return None
    return cheapest_plan(
        catalogue, currency, lambda p: p.lead_limit is None or p.lead_limit > lead_limit
    )


def meter_get(tenant, period_start: datetime) -> UsageMeter | None:
    return UsageMeter.objects.for_tenant(tenant).filter(period_start=period_start).first()


def meter_history(tenant, limit: int = 12):
    return UsageMeter.objects.for_tenant(tenant).order_by("-period_start")[:limit]


def meter_history_closed(tenant, *, now=None, limit: int = 12) -> list[UsageMeter]:
    """Closed periods only (the current one is the usage bar), newest first, each with
    `plan_name`: the plan's name as people read it, not its code (two queries)."""
    now = now or timezone.now()
    meters = list(
        UsageMeter.objects.for_tenant(tenant)
        .filter(period_end__lte=now)
        .order_by("-period_start")[:limit]
    )
    codes = {meter.plan_code for meter in meters if meter.plan_code}
    plans = {plan.code: plan for plan in Plan.objects.filter(code__in=codes)}
    for meter in meters:
        plan = plans.get(meter.plan_code)
        meter.plan_name = plan.name if plan is not None else meter.plan_code
    return meters


@dataclass(frozen=True)
class Usage:
    period_start: datetime
    period_end: datetime
    used: int
    limit: int | None
    limit_mode: str
    plan_code: str | None
    trial_ends_at: datetime | None = None  # on a trial: no renewal until a plan is bought

    @property
    def unlimited(self) -> bool:
        return self.limit is None

    @property
    def percent(self) -> int | None:
        if not self.limit:
            return None
        return min(100, round(self.used * 100 / self.limit))

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)

    @property
    def days_left(self) -> int:
        """Days left in the period (on a trial: in the trial)."""
        seconds = ((self.trial_ends_at or self.period_end) - timezone.now()).total_seconds()
        return max(0, int(-(-seconds // 86400)))

    @property
    def level(self) -> str:
        """ok / warning (80 %) / full (100 %) / over (soft limit passed)."""
        if not self.limit:
            return "ok"
        if self.used > self.limit:
            return "over"
        if self.used >= self.limit:
            return "full"
        return "warning" if self.used * 100 >= self.limit * 80 else "ok"

    @property
    def hard(self) -> bool:
        return self.limit_mode == LimitMode.HARD


def usage_current(tenant, limits: PeriodBounds) -> Usage:
    """This period's consumption against the plan's limit (one or two queries); `limits` is
    the tenant's `plan_limits.plan_limits_get` (or anything built on it). The count is the
    period's meter (apps/billing/usage_counter.py), not a count of the leads."""
    meter = meter_get(tenant, limits.period_start)
    if meter is not None:
        used = meter_leads_used(tenant, meter)  # O(1) once exact
    else:  # the meter is not open yet (leads stored without counting: imports, demo data)
        used = leads_created_between(tenant, limits.period_start, limits.period_end)
    return Usage(
        period_start=limits.period_start,
        period_end=limits.period_end,
        used=used,
        limit=limits.lead_limit,
        limit_mode=limits.limit_mode,
        plan_code=limits.plan_code,
        trial_ends_at=limits.trial_ends_at if limits.is_trial else None,
    )


def subscriptions_trialing_due(before: datetime):
    """Trials (every tenant, on purpose: a beat task) that end before `before`."""
    return (
        Subscription.objects.unscoped()
        .filter(status="trialing", trial_ends_at__isnull=False, trial_ends_at__lte=before)
        .select_related("tenant", "plan")
    )


def owned_company_allowances(owned) -> list[tuple]:
    """(tenant, `max_tenants`) of the live plan of each of the given companies (the ones a
    user owns); companies without a live subscription are left out."""
    by_id = {t.pk: t for t in owned}
    if not by_id:
        return []
    rows = (
        Subscription.objects.unscoped()
        .filter(tenant__in=list(by_id), status__in=LIVE_STATUSES)
        .values_list("tenant_id", "plan__max_tenants")
    )
    return [(by_id[tenant_id], limit) for tenant_id, limit in rows]


def cheapest_plan_with_more_companies(tenant, limit: int) -> Plan | None:
    """The cheapest plan on sale that lets its owner have more than `limit` companies."""
    subscription = subscription_current(tenant) if tenant is not None else None
    currency = subscription.plan.currency if subscription else None
    return cheapest_plan(
        plan_list_public(), currency, lambda p: p.max_tenants is None or p.max_tenants > limit
    )


def cheapest_plan_with_more_members(tenant, limit: int) -> Plan | None:
    """The cheapest plan on sale with more members than `limit`, in the tenant's currency."""
    subscription = subscription_current(tenant)
    currency = subscription.plan.currency if subscription else None
    return cheapest_plan(
        plan_list_public(), currency, lambda p: p.max_members is None or p.max_members > limit
    )


def plans_ensure_seeded(using: str = "default") -> int:
    """Create the seed plans of the data migration that are missing (after a `flush`);
    existing plans, edited by staff or not, are left alone. Returns how many were created."""
    import importlib

    seed = importlib.import_module("apps.billing.migrations.0002_seed_plans")
    paid_actions = importlib.import_module("apps.billing.migrations.0006_plan_paid_actions")
    honest = importlib.import_module(
        "apps.billing.migrations.0010_rub_plans_hard_limit_honest_descriptions"
    )
    channels = importlib.import_module("apps.billing.migrations.0011_plan_max_channels")
    booking = importlib.import_module("apps.billing.migrations.0013_plan_booking_tool")
    existing = set(Plan.objects.using(using).values_list("code", flat=True))
    missing = [dict(p) for p in seed.PLANS if p["code"] not in existing]
    for data in missing:  # the later seed migration's settings too
        code = data["code"]
        if code in paid_actions.ENRICHMENT_PRICES:
            data["enrichment_price_amount"] = paid_actions.ENRICHMENT_PRICES[code]
            data["usage_billing"] = "arrears" if code in paid_actions.ARREARS else "prepaid"
        honest.seed_settings(data)
        channels.seed_settings(data)
        booking.seed_settings(data)
    Plan.objects.using(using).bulk_create([Plan(**data) for data in missing])
    return len(missing)


# --- payments ---------------------------------------------------------------------------------


def payment_list(tenant, limit: int = 50):
    """The tenant's payments, newest first, with their plans (one query)."""
    return Payment.objects.for_tenant(tenant).select_related("plan").order_by("-created_at")[:limit]


def payment_get(tenant, payment_id) -> Payment:
    """One of the tenant's payments; missing and foreign both raise Payment.DoesNotExist."""
    return Payment.objects.for_tenant(tenant).select_related("plan").get(pk=payment_id)


def payment_history(tenant):
    """Every payment of the tenant, newest first, with its plan (for a paginated page)."""
    return Payment.objects.for_tenant(tenant).select_related("plan").order_by("-created_at", "pk")
