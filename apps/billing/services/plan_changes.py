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
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.errors import PaymentDeclined
from apps.billing.models import (
    LIVE_STATUSES,
    BillingEventKind,
    DowngradePolicy,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.credits import credit_add, credit_balance, credit_spend
from apps.billing.services.history import history_record
from apps.billing.services.payments import payment_page_create, provider_choose
from apps.billing.services.subscriptions import _account_locked
from apps.billing.services.usage import meter_ensure
from apps.core.errors import ApplicationError, Conflict, ProviderError, ValidationFailed
from apps.core.events import log_event
from apps.core.money import Money
from apps.features.selectors import entitlements_invalidate
from apps.payments import gateways
from apps.payments.errors import ProviderUnavailable
from apps.payments.models import Payment, PaymentKind, PaymentStatus
from apps.payments.services.payments import (
    payment_apply_status,
    payment_charge_saved,
    payment_claim,
)

logger = structlog.get_logger("fastlead.billing.plan_changes")

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


# --- confirm --------------------------------------------------------------------------------


def _quote_time(proration_date: datetime | None) -> datetime | None:
    if proration_date is None:
        return None
    now = timezone.now()
    if proration_date > now + CLOCK_SKEW or proration_date < now - PRORATION_QUOTE_TTL:
        return now  # too old (or from the future): priced afresh, so likely a 409
    return proration_date


def _key(subscription: Subscription, plan: Plan, at: datetime) -> str:
    return f"fl-prorate-{subscription.pk}-{plan.pk}-{int(at.timestamp())}"


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
        return _schedule_downgrade(tenant, preview, actor)
    if preview.action == DOWNGRADE:
        return _downgrade_now(tenant, preview, actor)
    return _upgrade(tenant, preview, actor, return_url)


def _replayed(tenant, new_plan: Plan, at: datetime | None) -> PlanChangeResult | None:
    """The same confirm again (same subscription, plan and proration date)."""
    subscription = selectors.subscription_current(tenant)
    if at is None or subscription is None:
        return None
    key = _key(subscription, new_plan, at.replace(microsecond=0))
    payment = Payment.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if payment is not None and payment.status == PaymentStatus.SUCCEEDED:
        return PlanChangeResult("upgraded", subscription, payment=payment, replayed=True)
    if payment is not None and payment.status == PaymentStatus.FAILED:
        raise PaymentDeclined(payment.failure_reason or _("The card was declined."))
    if payment is not None and payment.confirmation_url:
        return PlanChangeResult("payment_required", subscription, payment=payment, replayed=True)
    if payment is not None:
        return None  # an unresolved card charge: confirm retries it
    from apps.billing.models import CreditEntry

    spent = CreditEntry.objects.for_tenant(tenant).filter(idempotency_key=f"{key}-credit")
    if spent.exists() and subscription.plan_id == new_plan.pk:
        return PlanChangeResult("upgraded", subscription, replayed=True)
    return None


def _locked(tenant, subscription: Subscription) -> Subscription:
    """The subscription, read while the company's billing account row is locked: plan
    changes of one company queue up. The subscription row itself is not locked here: the
    Payment insert below may wait on a payment being applied, and that transaction locks
    the subscription (payment first, then subscription) — locking it here would deadlock."""
    _account_locked(tenant)
    return Subscription.objects.for_tenant(tenant).select_related("plan").get(pk=subscription.pk)


def _ensure_unchanged(locked: Subscription, preview: PlanChangePreview) -> None:
    """Between the preview and the lock, another request may have changed the plan."""
    expected = preview.subscription
    if (
        locked.plan_id != expected.plan_id
        or locked.status != SubscriptionStatus.ACTIVE
        or locked.current_period_end != expected.current_period_end
    ):
        raise Conflict(
            _("The subscription changed meanwhile: check the new price and confirm again."),
            "subscription_changed",
        )


def _after_change(tenant) -> None:
    entitlements_invalidate(tenant)
    meter_ensure(tenant)


@transaction.atomic
def _schedule_downgrade(tenant, preview: PlanChangePreview, actor) -> PlanChangeResult:
    subscription = _locked(tenant, preview.subscription)
    _ensure_unchanged(subscription, preview)
    subscription.pending_plan = preview.new_plan
    subscription.save(update_fields=["pending_plan", "updated_at"])
    history_record(
        tenant,
        BillingEventKind.DOWNGRADE_SCHEDULED,
        message=_("%(old)s → %(new)s from %(date)s")
        % {
            "old": preview.current_plan.name,
            "new": preview.new_plan.name,
            "date": timezone.localtime(subscription.current_period_end).strftime("%d.%m.%Y"),
        },
        actor=actor,
        plan=preview.new_plan.code,
        from_plan=preview.current_plan.code,
        effective_at=subscription.current_period_end.isoformat(),
    )
    return PlanChangeResult("downgrade_scheduled", subscription, preview=preview)


@transaction.atomic
def _downgrade_now(tenant, preview: PlanChangePreview, actor) -> PlanChangeResult:
    subscription = _locked(tenant, preview.subscription)
    _ensure_unchanged(subscription, preview)
    _switch(subscription, preview.new_plan)
    if preview.credit_added.amount > 0:
        key = f"{_key(subscription, preview.new_plan, preview.proration_date)}-credit-in"
        credit_add(
            tenant=tenant,
            money=preview.credit_added,
            reason=_("Unused part of %(plan)s") % {"plan": preview.current_plan.name},
            idempotency_key=key,
            reference=f"subscription:{subscription.pk}",
        )
        history_record(
            tenant,
            BillingEventKind.CREDIT_ADDED,
            message=_("Prorated credit for the downgrade to %(plan)s")
            % {"plan": preview.new_plan.name},
            money=preview.credit_added,
            actor=actor,
        )
    _record_switch(tenant, BillingEventKind.DOWNGRADED, preview, actor, preview.credit_added)
    _after_change(tenant)
    return PlanChangeResult("downgraded", subscription, preview=preview)


def _switch(subscription: Subscription, plan: Plan) -> None:
    subscription.plan = plan
    subscription.pending_plan = None
    subscription.save(update_fields=["plan", "pending_plan", "updated_at"])
    log_event(
        "subscription_changed",
        tenant_id=str(subscription.tenant_id),
        subscription_id=subscription.pk,
        plan=plan.code,
    )


def _record_switch(tenant, kind: str, preview: PlanChangePreview, actor, money: Money) -> None:
    history_record(
        tenant,
        kind,
        message=_("%(old)s → %(new)s")
        % {"old": preview.current_plan.name, "new": preview.new_plan.name},
        money=money,
        actor=actor,
        plan=preview.new_plan.code,
        from_plan=preview.current_plan.code,
        proration_date=preview.proration_date.isoformat(),
        credit_applied=preview.credit_applied.amount,
    )


# --- upgrade --------------------------------------------------------------------------------


def _upgrade(tenant, preview: PlanChangePreview, actor, return_url: str) -> PlanChangeResult:
    unresolved = _unresolved_charge(tenant, preview.subscription)
    if unresolved is not None:
        if unresolved.plan_id != preview.new_plan.pk:
            raise Conflict(
                _("An earlier upgrade payment is still being processed: try again shortly."),
                "change_in_progress",
            )
        return _charge(tenant, unresolved, preview, actor)
    try:
        payment = _upgrade_row(tenant, preview, actor)
    except IntegrityError:  # a concurrent confirm of the same quote won the insert
        return plan_change_confirm(
            tenant=tenant,
            new_plan=preview.new_plan,
            expected_amount=preview.amount.amount,
            actor=actor,
            proration_date=preview.proration_date,
        )
    if payment is None:  # the credit balance paid it all
        subscription = _locked_refresh(tenant, preview.subscription)
        return PlanChangeResult("upgraded", subscription, preview=preview)
    if payment.payment_method_id:
        return _charge(tenant, payment, preview, actor)
    return _redirect(tenant, payment, preview, return_url)


def _unresolved_charge(tenant, subscription: Subscription) -> Payment | None:
    """A card charge of this subscription's upgrade whose outcome is unknown (a timeout)."""
    return (
        Payment.objects.for_tenant(tenant)
        .filter(
            subscription=subscription,
            kind=PaymentKind.PRORATION,
            status=PaymentStatus.PENDING,
            confirmation_url="",
        )
        .exclude(payment_method_id="")
        .order_by("-created_at")
        .first()
    )


def _locked_refresh(tenant, subscription: Subscription) -> Subscription:
    return Subscription.objects.for_tenant(tenant).select_related("plan").get(pk=subscription.pk)


@transaction.atomic
def _upgrade_row(tenant, preview: PlanChangePreview, actor) -> Payment | None:
    """Spend the credit part and write the card's Payment row together (one commit, before
    any provider call). Credit covering everything applies the upgrade right here."""
    subscription = _locked(tenant, preview.subscription)
    _ensure_unchanged(subscription, preview)
    key = _key(subscription, preview.new_plan, preview.proration_date)
    from_credit, charge = _split_credit(tenant, preview, key)
    if charge.amount == 0:
        _switch(subscription, preview.new_plan)
        _record_switch(tenant, BillingEventKind.UPGRADED, preview, actor, preview.amount)
        _after_change(tenant)
        return None
    payment_id = uuid.uuid4()
    provider = _provider_for(tenant, subscription)
    return Payment.objects.create(
        id=payment_id,
        idempotency_key=key,
        tenant=tenant,
        subscription=subscription,
        plan=preview.new_plan,
        kind=PaymentKind.PRORATION,
        description=_description(preview, from_credit),
        amount=charge.amount,
        currency=charge.currency,
        provider=provider,
        is_test=gateways.get_gateway(provider).is_test,
        payment_method_id=subscription.payment_method_id
        if provider == subscription.provider
        else "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def _split_credit(tenant, preview: PlanChangePreview, key: str) -> tuple[Money, Money]:
    currency = preview.amount.currency
    wanted = min(max(credit_balance(tenant, currency).amount, 0), preview.amount.amount)
    if wanted <= 0:
        return Money.zero(currency), preview.amount
    entry = credit_spend(
        tenant=tenant,
        money=Money(wanted, currency),
        reason=_("Upgrade to %(plan)s") % {"plan": preview.new_plan.name},
        idempotency_key=f"{key}-credit",
        reference=f"subscription:{preview.subscription.pk}",
    )
    spent = -entry.amount if entry is not None else 0
    return Money(spent, currency), Money(preview.amount.amount - spent, currency)


def _description(preview: PlanChangePreview, from_credit: Money) -> str:
    text = _("Upgrade %(old)s → %(new)s, prorated to %(date)s") % {
        "old": preview.current_plan.name,
        "new": preview.new_plan.name,
        "date": timezone.localtime(preview.subscription.current_period_end).strftime("%d.%m.%Y"),
    }
    if from_credit.amount:
        text += " " + _("(%(credit)s paid from credit)") % {"credit": from_credit}
    return text[:300]


def _provider_for(tenant, subscription: Subscription) -> str:
    """The subscription's own provider when it still sells this currency, else the
    company's choice (or the default)."""
    allowed = gateways.providers_for(subscription.plan.currency)
    if subscription.provider in allowed:
        return subscription.provider
    return provider_choose(subscription.plan, None, tenant)


def _charge(tenant, payment: Payment, preview, actor) -> PlanChangeResult:
    """Charge the saved card with the payment's own idempotency key (as renewals do)."""
    if not payment_claim(payment):
        raise Conflict(
            _("The upgrade payment is being processed: try again shortly."), "change_in_progress"
        )
    try:
        result = payment_charge_saved(payment)
    except ProviderError as exc:
        if not exc.permanent:
            Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(
                claimed_at=None, failure_reason=exc.user_message[:300]
            )
            raise ProviderUnavailable(
                exc.user_message + " " + _("The plan is unchanged; it is safe to try again."),
                extra={"provider": payment.provider},
            ) from exc
        payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=exc.user_message)
        raise PaymentDeclined(
            _("%(reason)s The plan is unchanged.") % {"reason": exc.user_message}
        ) from exc
    Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(
        provider_id=result.provider_id, raw=result.raw
    )
    payment = payment_apply_status(payment, result.status, raw=result.raw)
    subscription = _locked_refresh(tenant, payment.subscription)
    if payment.status == PaymentStatus.SUCCEEDED:
        return PlanChangeResult("upgraded", subscription, preview=preview, payment=payment)
    return PlanChangeResult("pending", subscription, preview=preview, payment=payment)


def _redirect(tenant, payment: Payment, preview, return_url: str) -> PlanChangeResult:
    """No saved card: pay the prorated amount on the provider's page."""
    try:
        payment_page_create(payment, return_url)
    except ProviderError as exc:
        payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=exc.user_message)
        if exc.permanent:
            raise PaymentDeclined(exc.user_message) from exc
        others = [p for p in gateways.providers_for(payment.currency) if p != payment.provider]
        raise ProviderUnavailable(
            exc.user_message, extra={"provider": payment.provider, "alternatives": others}
        ) from exc
    subscription = _locked_refresh(tenant, payment.subscription)
    return PlanChangeResult("payment_required", subscription, preview=preview, payment=payment)


# --- hooks from payments.payment_apply_status -------------------------------------------------


def plan_change_paid(payment: Payment) -> None:
    """An upgrade's payment succeeded (card or provider page): switch the plan in place.
    Runs inside the payment's transaction; a replay finds the plan switched and stops."""
    tenant = payment.tenant
    subscription = (
        Subscription.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("plan")
        .filter(pk=payment.subscription_id)
        .first()
    )
    if subscription is None or subscription.plan_id == payment.plan_id:
        return
    if subscription.status not in LIVE_STATUSES or subscription.plan.currency != payment.currency:
        # Paid, but the subscription ended or moved meanwhile: staff refunds.
        logger.warning("payment_needs_refund", tenant_id=str(tenant.pk), payment_id=str(payment.pk))
        return
    old = subscription.plan
    if payment.payment_method_id and not subscription.payment_method_id:
        subscription.payment_method_id = payment.payment_method_id
        subscription.provider = payment.provider
        subscription.save(update_fields=["payment_method_id", "provider", "updated_at"])
    _switch(subscription, payment.plan)
    _credit_respend(payment)
    credit = _credit_part(payment)
    history_record(
        tenant,
        BillingEventKind.UPGRADED,
        message=_("%(old)s → %(new)s") % {"old": old.name, "new": payment.plan.name},
        money=Money(payment.amount + credit, payment.currency),
        actor=payment.created_by,
        plan=payment.plan.code,
        from_plan=old.code,
        payment_id=str(payment.pk),
        charged=payment.amount,
        credit_applied=credit,
    )
    _after_change(tenant)


def _credit_part(payment: Payment) -> int:
    from apps.billing.models import CreditEntry

    entry = (
        CreditEntry.objects.for_tenant(payment.tenant)
        .filter(idempotency_key=f"{payment.idempotency_key}-credit")
        .first()
    )
    return -entry.amount if entry is not None else 0


def _credit_respend(payment: Payment) -> None:
    """A payment form accepts a retry after a decline: the credit part given back on the
    decline is taken again when the payment succeeds after all."""
    from apps.billing.models import CreditEntry

    key = payment.idempotency_key
    back = CreditEntry.objects.for_tenant(payment.tenant).filter(
        idempotency_key=f"{key}-credit-back"
    )
    entry = back.first()
    if entry is None:
        return
    spent = credit_spend(
        tenant=payment.tenant,
        money=Money(entry.amount, payment.currency),
        reason=_("Upgrade paid after all"),
        idempotency_key=f"{key}-credit-again",
        reference=f"payment:{payment.pk}",
    )
    if spent is None:
        logger.warning("proration_credit_short", payment_id=str(payment.pk))


def plan_change_payment_failed(payment: Payment) -> None:
    """An upgrade's payment failed or was canceled: the plan stays; the credit part spent
    for it goes back to the balance (once)."""
    credit = _credit_part(payment)
    if credit <= 0:
        return
    try:
        credit_add(
            tenant=payment.tenant,
            money=Money(credit, payment.currency),
            reason=_("Upgrade not paid: credit returned"),
            idempotency_key=f"{payment.idempotency_key}-credit-back",
            reference=f"payment:{payment.pk}",
        )
    except ApplicationError:  # pragma: no cover - a positive amount is always valid
        logger.exception("credit_return_failed", payment_id=str(payment.pk))
