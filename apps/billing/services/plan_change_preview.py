"""Plan changes, step one: what a change would cost (the rules: `plan_changes`).

`plan_change_preview` prices a change at an instant without writing anything; the dataclasses
here are what every step of a change passes along.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.models import DowngradePolicy, Plan, PlanStatus, Subscription, SubscriptionStatus
from apps.billing.services.credits import credit_balance
from apps.core.errors import Conflict, ValidationFailed
from apps.core.money import Money
from apps.payments.models import Payment

PRORATION_QUOTE_TTL = timedelta(minutes=15)
CLOCK_SKEW = timedelta(seconds=5)

UPGRADE = "upgrade"
DOWNGRADE = "downgrade"
NOW = "now"
NEXT_PERIOD = "next_period"


@dataclass(frozen=True)
class PlanChangePreview:
    """What confirming would do. `amount` is the prorated amount: the charge of an upgrade,
    the credit of an immediate downgrade, 0 for a downgrade at the next period."""

    subscription: Subscription
    current_plan: Plan
    new_plan: Plan
    action: str  # upgrade | downgrade
    effective: str  # now | next_period
    effective_at: datetime
    proration_date: datetime
    remaining_seconds: int
    period_seconds: int
    amount: Money
    credit_applied: Money  # upgrade: paid from the credit balance
    charge: Money  # upgrade: charged on the card (amount - credit_applied)
    credit_added: Money  # immediate downgrade: added to the credit balance


@dataclass(frozen=True)
class PlanChangeResult:
    """outcome: upgraded | downgraded | downgrade_scheduled | payment_required | pending."""

    outcome: str
    subscription: Subscription
    preview: PlanChangePreview | None = None
    payment: Payment | None = None
    replayed: bool = False

    @property
    def confirmation_url(self) -> str | None:
        if self.outcome == "payment_required" and self.payment is not None:
            return self.payment.confirmation_url or None
        return None


def prorate(difference: int, *, remaining: timedelta, period: timedelta) -> int:
    """`difference × remaining / period`, rounded half-up to a whole minor unit (exact
    integer arithmetic on microseconds, never floats)."""
    micro = timedelta(microseconds=1)
    numerator = difference * (remaining // micro)
    denominator = period // micro
    quotient, rest = divmod(numerator, denominator)
    return quotient + (1 if 2 * rest >= denominator else 0)


# --- preview --------------------------------------------------------------------------------


def _paid_subscription(tenant) -> Subscription:
    subscription = selectors.subscription_current(tenant)
    if subscription is None or not subscription.is_live or subscription.plan.is_trial:
        raise Conflict(
            _(
                "The company has no paid subscription to change. Choose a plan and pay for it "
                "on the billing page (or through the payments API)."
            ),
            "no_paid_subscription",
        )
    return subscription


def _check_changeable(subscription: Subscription, new_plan: Plan) -> None:
    if new_plan.is_trial or new_plan.status != PlanStatus.ACTIVE:
        raise ValidationFailed(
            _("This plan is not on sale."),
            code="plan_not_sold",
            fields={"plan": [_("This plan is not on sale.")]},
        )
    current = subscription.plan
    if new_plan.pk == current.pk:
        raise Conflict(_("The company is already subscribed to this plan."), "already_subscribed")
    if subscription.provider_ref:
        raise Conflict(
            _("This subscription is managed by the payment provider: change it in its portal."),
            "managed_by_provider",
        )
    if new_plan.currency != current.currency:
        raise Conflict(
            _(
                "Plans in %(new)s cannot replace a plan in %(old)s: cancel this subscription "
                "and buy the new plan through checkout."
            )
            % {"new": new_plan.currency, "old": current.currency},
            "currency_mismatch",
        )
    if new_plan.interval != current.interval:
        raise Conflict(
            _("Plans with another billing interval need a new subscription through checkout."),
            "interval_mismatch",
        )
    _check_status(subscription, new_plan)


def _check_status(subscription: Subscription, new_plan: Plan) -> None:
    if subscription.status == SubscriptionStatus.PAUSED:
        raise Conflict(
            _("The subscription is paused: resume it before changing the plan."), "paused"
        )
    if subscription.status == SubscriptionStatus.PAST_DUE:
        raise Conflict(
            _("The last renewal is unpaid: pay it before changing the plan."), "past_due"
        )
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise Conflict(_("Only an active subscription can change plan."), "not_active")
    if subscription.cancel_at_period_end:
        raise Conflict(
            _("The subscription ends with this period: re-activate it before changing the plan."),
            "cancel_scheduled",
        )
    if subscription.pending_plan_id == new_plan.pk:
        raise Conflict(
            _("This plan is already scheduled from the next period."), "change_scheduled"
        )


def _check_at(subscription: Subscription, at: datetime) -> None:
    if at >= subscription.current_period_end:
        raise Conflict(
            _("The current period is over: change the plan after its renewal."), "renewal_due"
        )
    if at < subscription.current_period_start:
        raise Conflict(_("This price quote is from another period."), "quote_expired")


def plan_change_preview(tenant, new_plan: Plan, at: datetime | None = None) -> PlanChangePreview:
    """What changing to `new_plan` at `at` (default: now) does and costs; see the module
    docstring for the rules and the formula. Raises the same errors confirm would."""
    subscription = _paid_subscription(tenant)
    _check_changeable(subscription, new_plan)
    if at is None:  # now, in whole seconds (but never before the period's first instant)
        at = max(timezone.now().replace(microsecond=0), subscription.current_period_start)
    _check_at(subscription, at)
    return _price(tenant, subscription, new_plan, at)


def _price(tenant, subscription: Subscription, new_plan: Plan, at: datetime):
    current = subscription.plan
    currency = current.currency
    remaining = subscription.current_period_end - at
    period = subscription.current_period_end - subscription.current_period_start
    zero = Money.zero(currency)
    common = {
        "subscription": subscription,
        "current_plan": current,
        "new_plan": new_plan,
        "proration_date": at,
        "remaining_seconds": int(remaining.total_seconds()),
        "period_seconds": int(period.total_seconds()),
    }
    if new_plan.price_amount >= current.price_amount:
        amount = prorate(
            new_plan.price_amount - current.price_amount, remaining=remaining, period=period
        )
        balance = max(credit_balance(tenant, currency).amount, 0)
        from_credit = min(balance, amount)
        return PlanChangePreview(
            **common,
            action=UPGRADE,
            effective=NOW,
            effective_at=at,
            amount=Money(amount, currency),
            credit_applied=Money(from_credit, currency),
            charge=Money(amount - from_credit, currency),
            credit_added=zero,
        )
    if new_plan.downgrade_policy == DowngradePolicy.IMMEDIATE_CREDIT:
        credit = prorate(
            current.price_amount - new_plan.price_amount, remaining=remaining, period=period
        )
        return PlanChangePreview(
            **common,
            action=DOWNGRADE,
            effective=NOW,
            effective_at=at,
            amount=Money(credit, currency),
            credit_applied=zero,
            charge=zero,
            credit_added=Money(credit, currency),
        )
    return PlanChangePreview(
        **common,
        action=DOWNGRADE,
        effective=NEXT_PERIOD,
        effective_at=subscription.current_period_end,
        amount=zero,
        credit_applied=zero,
        charge=zero,
        credit_added=zero,
    )


def preview_payload(preview: PlanChangePreview) -> dict:
    """The preview as plain data (the API's `preview`, a 409's `extra`)."""

    def money(value: Money) -> dict:
        return {"amount": value.amount, "currency": value.currency}

    return {
        "current_plan": preview.current_plan.code,
        "plan": preview.new_plan.code,
        "action": preview.action,
        "effective": preview.effective,
        "effective_at": preview.effective_at.isoformat(),
        "proration_date": preview.proration_date.isoformat(),
        "remaining_seconds": preview.remaining_seconds,
        "period_seconds": preview.period_seconds,
        "amount": money(preview.amount),
        "credit_applied": money(preview.credit_applied),
        "charge": money(preview.charge),
        "credit_added": money(preview.credit_added),
    }
