"""Business metrics for Fast Lead staff (seed 001, observability: business metrics): the
admin page and the Prometheus gauges read the same `staff_metrics()`.

Definitions (window = the last 30 days before `now`; money in minor units per currency):
- MRR: live paid subscriptions (active, past due) on a priced plan; a yearly price counts
  1/12 a month. ARR = 12 × MRR. ARPU = MRR / paying companies of that currency.
- Logo churn: paid subscriptions that ended (canceled / expired) in the window, over the paid
  subscriptions live at its start; revenue churn: their MRR over the MRR live at its start.
- Trial → paid: companies whose trial ended in the window that have a paid subscription.
- Active companies: with a live subscription (trial included).
- AI cost (USD, the AI usage log) against AI revenue (paid-action charges, net of refunds).
- Dunning: subscriptions past due with a failed renewal, and the amount they owe.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.accounts.models import User
from apps.ai.models import AIUsage
from apps.billing.models import (
    LIVE_STATUSES,
    BillingInterval,
    Subscription,
    SubscriptionStatus,
    UsageCharge,
    UsageChargeStatus,
)

WINDOW = timedelta(days=30)
PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED)


def _monthly(sub) -> int:
    price = sub.plan.price_amount
    return round(price / 12) if sub.plan.interval == BillingInterval.YEAR else price


def _paid():
    return (
        Subscription.objects.unscoped()
        .select_related("plan")
        .filter(plan__price_amount__gt=0, plan__trial_days=0)
    )


def _mrr(subs) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for sub in subs:
        out[sub.plan.currency] += _monthly(sub)
    return dict(out)


def staff_metrics(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    start = now - WINDOW
    paying = list(_paid().filter(status__in=PAYING))
    mrr = _mrr(paying)
    tenants_by_currency: dict[str, set] = defaultdict(set)
    for sub in paying:
        tenants_by_currency[sub.plan.currency].add(sub.tenant_id)
    live_at_start = list(
        _paid()
        .filter(created_at__lt=start)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=start))
    )
    churned = [s for s in live_at_start if s.status in ENDED and s.ended_at and s.ended_at < now]
    mrr_start, mrr_churned = _mrr(live_at_start), _mrr(churned)
    trials = Subscription.objects.unscoped().filter(
        plan__trial_days__gt=0, trial_ends_at__gte=start, trial_ends_at__lt=now
    )
    trial_tenants = set(trials.values_list("tenant_id", flat=True))
    converted = set(_paid().filter(tenant_id__in=trial_tenants).values_list("tenant_id", flat=True))
    ai_cost = AIUsage.objects.unscoped().filter(created_at__gte=start).aggregate(total=Sum("cost"))[
        "total"
    ] or Decimal(0)
    ai_revenue = dict(
        UsageCharge.objects.unscoped()
        .filter(created_at__gte=start, status=UsageChargeStatus.AUTHORIZED)
        .values("currency")
        .annotate(net=Sum(F("amount") - F("refunded_amount")))
        .values_list("currency", "net")
    )
    dunning = [s for s in paying if s.status == SubscriptionStatus.PAST_DUE]
    registrations = list(
        User.objects.filter(date_joined__gte=start)
        .annotate(day=TruncDate("date_joined"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
        .values_list("day", "n")
    )
    return {
        "window_days": WINDOW.days,
        "registrations": registrations,
        "registrations_total": sum(n for _day, n in registrations),
        "mrr": mrr,
        "arr": {currency: amount * 12 for currency, amount in mrr.items()},
        "arpu": {c: round(mrr[c] / len(tenants_by_currency[c])) for c in mrr},
        "paying_tenants": len({s.tenant_id for s in paying}),
        "active_tenants": Subscription.objects.unscoped()
        .filter(status__in=LIVE_STATUSES)
        .values("tenant_id")
        .distinct()
        .count(),
        "logo_churn": _ratio(len(churned), len(live_at_start)),
        "revenue_churn": {c: _ratio(mrr_churned.get(c, 0), mrr_start[c]) for c in mrr_start},
        "trials_ended": len(trial_tenants),
        "trials_converted": len(converted),
        "trial_conversion": _ratio(len(converted), len(trial_tenants)),
        "ai_cost_usd": ai_cost,
        "ai_revenue": ai_revenue,
        "dunning_count": len(dunning),
        "dunning_amount": _owed(dunning),
    }


def _owed(subs) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for sub in subs:
        out[sub.plan.currency] += sub.plan.price_amount
    return dict(out)


def _ratio(part, whole) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
