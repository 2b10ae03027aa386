"""Plan changes of a paid subscription: preview the exact amount, then confirm it.

Rules
-----
* Only plans on sale (status `active`, not the trial) can be chosen; the plan held answers
  409 `already_subscribed`. A trial (or a company without a paid subscription) buys a plan
  through payments instead (409 `no_paid_subscription`). Plans in another currency or with
  another billing interval need a new subscription through checkout (409 `currency_mismatch`
  / `interval_mismatch`). A subscription renewed by its provider (Stripe, `provider_ref`) is
  changed in the provider's portal (409 `managed_by_provider`). Only an `active` subscription
  changes plan (paused, past due or scheduled to cancel: 409 with the reason).
* **Upgrade** (new price >= old price, same currency): at once, in place (same period), for a
  prorated charge of the price difference over the rest of the period::

      charge = round_half_up((new_price - old_price) * remaining / period_length)

  where `remaining = period_end - at` and `period_length = period_end - period_start`, both
  measured in microseconds (so the first second of the period charges the full difference
  and the last second 1/period of it), rounded half-up to minor units. The tenant's credit
  balance in that currency pays first (`credit_spend`); the rest is charged on the saved card
  (`charge_saved`) or, without one, paid on the provider's page (a redirect) — the upgrade
  then applies when that payment succeeds (`plan_change_paid`, called from
  `payments._on_success`). A decline leaves the plan unchanged (402) and gives the credit
  part back; a provider timeout leaves it unchanged too (503) and is safe to retry.
* **Downgrade** (new price < old price): at the next period — `Subscription.pending_plan` is
  set and the renewal at the period end switches to it (renewals own that step). If the
  target plan's `downgrade_policy` is `immediate`, it applies at once and the unused part of
  the difference becomes credit: `round_half_up((old - new) * remaining / period_length)`.
* The preview returns its `proration_date` (the instant it priced, whole seconds, as in
  Stripe). Confirm repeats the previewed amount and may pass that date back (it must be at
  most PRORATION_QUOTE_TTL old): the fresh preview is priced at that instant, so a change
  confirmed a few seconds later costs the same. Any other difference (a price edited by
  staff, a renewal in between) answers 409 `price_changed` with the new preview.
* The charge's idempotency key derives from (subscription, plan, proration date): a replayed
  confirm finds its payment and never charges twice; a confirm while an earlier card charge
  of this subscription is unresolved retries that charge with its own key.

Every change writes a `BillingEvent` (`history_record`).

Where it lives: pricing in `plan_change_preview`, the lock, switch and downgrades in
`plan_change_apply`, paying for an upgrade and the payment hooks in `plan_change_payments`;
this module confirms a change and is the one to import from.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.errors import PaymentDeclined
from apps.billing.models import CreditEntry, Plan
from apps.billing.services.plan_change_apply import (
    change_keys,
    downgrade_now,
    downgrade_schedule,
    subscription_refresh,
)
from apps.billing.services.plan_change_payments import (
    plan_change_paid,
    plan_change_payment_failed,
    upgrade_charge,
    upgrade_redirect,
    upgrade_row,
    upgrade_unresolved_charge,
)
from apps.billing.services.plan_change_preview import (
    CLOCK_SKEW,
    DOWNGRADE,
    NEXT_PERIOD,
    NOW,
    PRORATION_QUOTE_TTL,
    UPGRADE,
    PlanChangePreview,
    PlanChangeResult,
    plan_change_preview,
    preview_payload,
    prorate,
)
from apps.core.errors import Conflict
from apps.payments.models import Payment, PaymentStatus

__all__ = [
    "DOWNGRADE",
    "NEXT_PERIOD",
    "NOW",
    "PRORATION_QUOTE_TTL",
    "UPGRADE",
    "PlanChangePreview",
    "PlanChangeResult",
    "plan_change_confirm",
    "plan_change_paid",
    "plan_change_payment_failed",
    "plan_change_preview",
    "preview_payload",
    "prorate",
]


# --- confirm --------------------------------------------------------------------------------


def _quote_time(proration_date: datetime | None) -> datetime | None:
    if proration_date is None:
        return None
    now = timezone.now()
    if proration_date > now + CLOCK_SKEW or proration_date < now - PRORATION_QUOTE_TTL:
        return now  # too old (or from the future): priced afresh, so likely a 409
    return proration_date


def plan_change_confirm(
    *,
    tenant,
    new_plan: Plan,
    expected_amount: int,
    actor=None,
    proration_date: datetime | None = None,
    return_url: str = "",
) -> PlanChangeResult:
    """Apply the change previewed at `proration_date` for `expected_amount` (minor units).

    A different fresh amount answers 409 `price_changed` (extra: `amount`, `preview`). An
    upgrade charges the saved card (decline: 402 `payment_declined`; timeout: 503
    `provider_unavailable`; the plan is unchanged in both cases) or, without a card, returns
    `payment_required` with the provider page's URL. A replayed confirm returns the first
    result without charging again."""
    at = _quote_time(proration_date)
    replay = _replayed(tenant, new_plan, at)
    if replay is not None:
        return replay
    preview = plan_change_preview(tenant, new_plan, at)
    if preview.amount.amount != expected_amount:
        raise Conflict(
            _("The amount changed to %(amount)s: check it and confirm again.")
            % {"amount": preview.amount},
            "price_changed",
            extra={"amount": preview.amount.amount, "preview": preview_payload(preview)},
        )
    if preview.action == DOWNGRADE and preview.effective == NEXT_PERIOD:
        return downgrade_schedule(tenant, preview, actor)
    if preview.action == DOWNGRADE:
        return downgrade_now(tenant, preview, actor)
    return _upgrade(tenant, preview, actor, return_url)


def _replayed(tenant, new_plan: Plan, at: datetime | None) -> PlanChangeResult | None:
    """The same confirm again (same subscription, plan and proration date)."""
    subscription = selectors.subscription_current(tenant)
    if at is None or subscription is None:
        return None
    key, _fresh = change_keys(tenant, subscription, new_plan, at.replace(microsecond=0))
    if key is None:
        return None
    payment = Payment.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if payment is not None and payment.status == PaymentStatus.SUCCEEDED:
        if subscription.plan_id != new_plan.pk:
            return None  # applied, then undone by a later change: this is a new change
        return PlanChangeResult("upgraded", subscription, payment=payment, replayed=True)
    if payment is not None and payment.status == PaymentStatus.FAILED:
        raise PaymentDeclined(payment.failure_reason or _("The card was declined."))
    if payment is not None and payment.confirmation_url:
        return PlanChangeResult("payment_required", subscription, payment=payment, replayed=True)
    if payment is not None:
        return None  # an unresolved card charge: confirm retries it

    spent = CreditEntry.objects.for_tenant(tenant).filter(idempotency_key=f"{key}-credit")
    if spent.exists() and subscription.plan_id == new_plan.pk:
        return PlanChangeResult("upgraded", subscription, replayed=True)
    return None


def _upgrade(tenant, preview: PlanChangePreview, actor, return_url: str) -> PlanChangeResult:
    unresolved = upgrade_unresolved_charge(tenant, preview.subscription)
    if unresolved is not None:
        if unresolved.plan_id != preview.new_plan.pk:
            raise Conflict(
                _("An earlier upgrade payment is still being processed: try again shortly."),
                "change_in_progress",
            )
        return upgrade_charge(tenant, unresolved, preview, actor)
    try:
        payment = upgrade_row(tenant, preview, actor)
    except IntegrityError:  # a concurrent confirm of the same quote won the insert
        return plan_change_confirm(
            tenant=tenant,
            new_plan=preview.new_plan,
            expected_amount=preview.amount.amount,
            actor=actor,
            proration_date=preview.proration_date,
        )
    if payment is None:  # the credit balance paid it all
        subscription = subscription_refresh(tenant, preview.subscription)
        return PlanChangeResult("upgraded", subscription, preview=preview)
    if payment.payment_method_id:
        return upgrade_charge(tenant, payment, preview, actor)
    return upgrade_redirect(tenant, payment, preview, return_url)
