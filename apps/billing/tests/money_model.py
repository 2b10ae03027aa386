"""The reference model and the ledger reading of the money property test
(`test_money_invariants.py`): what the tenant should own, worked out from the rules alone
(list prices, the proration formula, "leads that fail are refunded"), and the invariants
read back from the database.

The identity checked after every step, per currency, to the minor unit:

    paid − refunded = consumed + credit

* paid: every payment that took money (status succeeded or refunded), in full;
* refunded: every succeeded refund;
* credit: the tenant's credit balance (the `CreditEntry` ledger), never below 0;
* consumed: the value the tenant got, from the model — a plan bought or renewed at its
  price, an upgrade at its prorated price, minus a downgrade's prorated credit, plus the paid
  actions delivered (units × unit price), minus what staff refunded as goodwill.

A payment that takes money and delivers nothing without giving it back breaks it, so does a
double charge, credit out of nothing, or unused time that vanishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, Sum

from apps.billing import selectors
from apps.billing.models import LIVE_STATUSES, CreditEntry, Plan, Subscription
from apps.billing.services.plan_change_preview import prorate
from apps.payments.models import Payment, PaymentStatus, Refund

MONEY_IN = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


@dataclass
class ModelSubscription:
    plan: str
    start: datetime
    end: datetime
    card_declines: bool
    status: str = "active"  # active | past_due
    pending_plan: str | None = None


@dataclass
class Model:
    prices: dict[str, int]
    enrichment: dict[str, int]
    immediate: set[str]
    credit: int = 0
    consumed: int = 0
    sub: ModelSubscription | None = None
    last_paid_plan: str | None = None  # the newest paid subscription's plan, live or ended
    payments: dict[str, str] = field(default_factory=dict)  # payment id -> model status

    # --- the rules ---------------------------------------------------------------------------

    def purchase_succeeds(self, plan: str, now: datetime, card_declines: bool) -> bool:
        """A plan payment succeeded: activates when no paid plan is live (True), else it is
        refunded in full (False: nothing consumed)."""
        if self.sub is not None:
            return False
        end = now + selectors.interval_delta("month")
        self.sub = ModelSubscription(plan, now, end, card_declines)
        self.last_paid_plan = plan
        self.consumed += self.prices[plan]
        return True

    def change(self, new: str, now: datetime) -> tuple[str, int]:
        """(action, amount) of a plan change now: upgrade charge or downgrade credit."""
        sub = self.sub
        old_price, new_price = self.prices[sub.plan], self.prices[new]
        remaining, period = sub.end - now, sub.end - sub.start
        difference = abs(new_price - old_price)
        if new_price >= old_price:
            return "upgrade", prorate(difference, remaining=remaining, period=period)
        if new in self.immediate:
            return "downgrade_now", prorate(difference, remaining=remaining, period=period)
        return "downgrade_later", 0

    def unit_price(self) -> int:
        plan = self.sub.plan if self.sub is not None else (self.last_paid_plan or "trial")
        return self.enrichment[plan]


def model_for(immediate: set[str]) -> Model:
    plans = {p.code: p for p in Plan.objects.filter(currency="RUB")}
    return Model(
        prices={code: p.price_amount for code, p in plans.items()},
        enrichment={code: p.enrichment_price_amount for code, p in plans.items()},
        immediate=immediate,
    )


# --- the ledger -------------------------------------------------------------------------------


def ledger(tenant, currency: str) -> dict[str, int]:
    paid = Payment.objects.for_tenant(tenant).filter(currency=currency, status__in=MONEY_IN)
    refunds = Refund.objects.for_tenant(tenant).filter(
        currency=currency, status=PaymentStatus.SUCCEEDED
    )
    credit = CreditEntry.objects.for_tenant(tenant).filter(currency=currency)
    return {
        "paid": paid.aggregate(s=Sum("amount"))["s"] or 0,
        "refunded": refunds.aggregate(s=Sum("amount"))["s"] or 0,
        "credit": credit.aggregate(s=Sum("amount"))["s"] or 0,
    }


def unused_time_lost(tenant) -> list[Subscription]:
    """Paid subscriptions that ended before their paid period was over with nothing of it
    credited (a `CreditEntry` naming the subscription) or refunded (a refund of one of its
    payments). "Cancel now" is the tenant's own choice and is not exercised here."""
    lost = []
    ended = Subscription.objects.for_tenant(tenant).exclude(status__in=LIVE_STATUSES)
    for subscription in ended.filter(plan__trial_days=0, ended_at__isnull=False):
        if subscription.ended_at >= subscription.current_period_end:
            continue  # ended with (or after) its period: no unused time
        credited = CreditEntry.objects.for_tenant(tenant).filter(
            reference=f"subscription:{subscription.pk}", amount__gt=0
        )
        refunded = Refund.objects.for_tenant(tenant).filter(
            Q(payment__subscription=subscription), status=PaymentStatus.SUCCEEDED
        )
        if not credited.exists() and not refunded.exists():
            lost.append(subscription)
    return lost


def live_paid(tenant) -> list[Subscription]:
    return list(
        Subscription.objects.for_tenant(tenant)
        .filter(status__in=LIVE_STATUSES, plan__trial_days=0)
        .select_related("plan")
    )
