"""Plan changes, paying for an upgrade: the credit balance first, then the saved card or the
provider's page; and the hooks `payments.payment_apply_status` calls when that payment
succeeds (the plan switches) or fails (the credit part goes back)."""

from __future__ import annotations

import uuid

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.errors import PaymentDeclined
from apps.billing.models import (
    LIVE_STATUSES,
    BillingEventKind,
    CreditEntry,
    Subscription,
)
from apps.billing.services.credits import credit_add, credit_balance, credit_spend
from apps.billing.services.history import history_record
from apps.billing.services.payments import payment_page_create, provider_choose
from apps.billing.services.plan_change_apply import (
    after_change,
    change_keys,
    ensure_unchanged,
    plan_switch,
    subscription_locked,
    subscription_refresh,
    switch_record,
)
from apps.billing.services.plan_change_preview import PlanChangePreview, PlanChangeResult
from apps.core.errors import ApplicationError, Conflict, ProviderError
from apps.core.money import Money
from apps.core.stored_text import stored_text
from apps.payments import gateways
from apps.payments.errors import ProviderUnavailable
from apps.payments.models import Payment, PaymentKind, PaymentStatus
from apps.payments.services.payments import (
    payment_apply_result,
    payment_apply_status,
    payment_charge_saved,
    payment_claim,
)

logger = structlog.get_logger("fastlead.billing.plan_changes")


def upgrade_unresolved_charge(tenant, subscription: Subscription) -> Payment | None:
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


@transaction.atomic
def upgrade_row(tenant, preview: PlanChangePreview, actor) -> Payment | None:
    """Spend the credit part and write the card's Payment row together (one commit, before
    any provider call). Credit covering everything applies the upgrade right here."""
    subscription = subscription_locked(tenant, preview.subscription)
    ensure_unchanged(subscription, preview)
    key = _upgrade_key(tenant, subscription, preview)
    from_credit, charge = _split_credit(tenant, preview, key)
    if charge.amount == 0:
        plan_switch(subscription, preview.new_plan)
        switch_record(tenant, BillingEventKind.UPGRADED, preview, actor, preview.amount)
        after_change(tenant)
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


def _upgrade_key(tenant, subscription: Subscription, preview: PlanChangePreview) -> str:
    """The newest key of this quote while its change is still open (a pending or declined
    payment: the insert then fails and the confirm replays it); a fresh one once that change
    was applied and undone since (the plan is back to the old one: `ensure_unchanged`)."""
    latest, fresh = change_keys(tenant, subscription, preview.new_plan, preview.proration_date)
    if latest is None:
        return fresh
    payment = Payment.objects.for_tenant(tenant).filter(idempotency_key=latest).first()
    if payment is None or payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return fresh  # paid by credit alone, or paid: applied, and undone since
    return latest


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


def upgrade_charge(tenant, payment: Payment, preview, actor) -> PlanChangeResult:
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
    payment = payment_apply_result(payment, result)
    subscription = subscription_refresh(tenant, payment.subscription)
    if payment.status == PaymentStatus.SUCCEEDED:
        return PlanChangeResult("upgraded", subscription, preview=preview, payment=payment)
    return PlanChangeResult("pending", subscription, preview=preview, payment=payment)


def upgrade_redirect(tenant, payment: Payment, preview, return_url: str) -> PlanChangeResult:
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
    subscription = subscription_refresh(tenant, payment.subscription)
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
    plan_switch(subscription, payment.plan)
    _credit_respend(payment)
    credit = _credit_part(payment)
    history_record(
        tenant,
        BillingEventKind.UPGRADED,
        message=stored_text(gettext_noop("%(old)s → %(new)s"), old=old.name, new=payment.plan.name),
        money=Money(payment.amount + credit, payment.currency),
        actor=payment.created_by,
        plan=payment.plan.code,
        from_plan=old.code,
        payment_id=str(payment.pk),
        charged=payment.amount,
        credit_applied=credit,
    )
    after_change(tenant)


def _credit_part(payment: Payment) -> int:

    entry = (
        CreditEntry.objects.for_tenant(payment.tenant)
        .filter(idempotency_key=f"{payment.idempotency_key}-credit")
        .first()
    )
    return -entry.amount if entry is not None else 0


def _credit_respend(payment: Payment) -> None:
    """A payment form accepts a retry after a decline: the credit part given back on the
    decline is taken again when the payment succeeds after all."""

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
