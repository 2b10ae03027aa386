"""Settling a paid action: the work is over, give back what was not delivered (credit to the
balance, a partial card refund, or — in arrears — report only the delivered units)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.models import (
    LIVE_STATUSES,
    BillingEventKind,
    Subscription,
    UsageCharge,
    UsageChargeMode,
    UsageChargeStatus,
)
from apps.billing.services.credits import credit_add
from apps.billing.services.history import history_record
from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.events import log_event
from apps.core.money import Money
from apps.core.stored_text import StoredText, stored_text
from apps.payments import gateways
from apps.payments.errors import ProviderUnavailable
from apps.payments.gateways import UsageReport
from apps.payments.services.refunds import payment_refund
from apps.tenants.scoping import tenant_scope


def usage_charge_settle(charge: UsageCharge, *, delivered: int, reason: str = "") -> UsageCharge:
    """The work is over and `delivered` units were really delivered: give back the rest.

    Leads that fail are refunded: credit goes back to the balance, a card payment is partly
    refunded, and a charge in arrears reports only the delivered units to Stripe. Idempotent:
    settling again with the same numbers changes nothing, a later settle with fewer delivered
    units gives back only the difference, and nothing more than was charged is ever given back.
    """
    if not isinstance(delivered, int) or isinstance(delivered, bool):
        raise ValidationFailed(_("Delivered units must be a whole number."), code="invalid")
    charge = UsageCharge.objects.unscoped().select_related("tenant", "payment").get(pk=charge.pk)
    if delivered < 0 or delivered > charge.quantity:
        raise ValidationFailed(
            _("Delivered units must be between 0 and %(quantity)s.")
            % {"quantity": charge.quantity},
            code="invalid",
        )
    if charge.status != UsageChargeStatus.AUTHORIZED:
        return charge  # a declined charge took nothing
    if not (isinstance(reason, StoredText) and len(reason) <= 300):
        reason = str(reason or _("Undelivered units of %(ref)s") % {"ref": charge.reference})[:300]
    with tenant_scope(charge.tenant):
        if charge.mode == UsageChargeMode.ARREARS:
            return _settle_arrears(charge, delivered)
        if charge.mode == UsageChargeMode.CARD:
            return _settle_card(charge, delivered, reason)
        return _settle_locally(charge, delivered, reason)


def _give_back(charge: UsageCharge, delivered: int) -> tuple[int, int]:
    """(units, amount) still to give back for this settle."""
    units = max(0, charge.quantity - delivered - charge.refunded_quantity)
    amount = min(units * charge.unit_amount, charge.amount - charge.refunded_amount)
    return units, max(0, amount)


def _settle_key(charge: UsageCharge) -> str:
    # The first give-back has the documented key; a later, larger one (rare) its own.
    if charge.refunded_quantity == 0:
        return f"usage-settle-{charge.pk}"
    return f"usage-settle-{charge.pk}-{charge.refunded_quantity}"


def _locked(charge: UsageCharge) -> UsageCharge:
    return UsageCharge.objects.for_tenant(charge.tenant).select_for_update().get(pk=charge.pk)


def _settle_locally(charge: UsageCharge, delivered: int, reason: str) -> UsageCharge:
    """Credit and included charges: everything in one transaction."""
    with transaction.atomic():
        charge = _locked(charge)
        units, amount = _give_back(charge, delivered)
        if units == 0:
            return charge
        if amount > 0:
            credit_add(
                tenant=charge.tenant,
                money=Money(amount, charge.currency),
                reason=reason,
                idempotency_key=_settle_key(charge),
                reference=charge.reference,
            )
            history_record(
                charge.tenant,
                BillingEventKind.CREDIT_ADDED,
                message=stored_text(
                    gettext_noop("%(reason)s: %(units)s × %(unit)s back to the balance"),
                    reason=reason,
                    units=units,
                    unit=Money(charge.unit_amount, charge.currency),
                ),
                money=Money(amount, charge.currency),
                usage_charge=charge.pk,
                reference=charge.reference,
                quantity=units,
            )
        _count_given_back(charge, units, amount)
    return charge


def _count_given_back(charge: UsageCharge, units: int, amount: int) -> None:
    charge.refunded_quantity += units
    charge.refunded_amount += amount
    charge.save(update_fields=["refunded_quantity", "refunded_amount", "updated_at"])
    log_event(
        "usage_given_back",
        tenant_id=str(charge.tenant_id),
        usage_charge_id=charge.pk,
        units=units,
        amount=amount,
        currency=charge.currency,
    )


def _settle_card(charge: UsageCharge, delivered: int, reason: str) -> UsageCharge:
    """A partial refund through the refunds service. The refund is asked for outside our
    transaction (it commits its own row before calling the provider) with a key fixed by the
    charge, so a retry after a crash reaches the same refund."""
    units, amount = _give_back(charge, delivered)
    if units == 0:
        return charge
    key = _settle_key(charge)
    if amount > 0:
        payment_refund(
            payment=charge.payment,
            money=Money(amount, charge.currency),
            reason=reason,
            idempotency_key=key,
        )
    with transaction.atomic():
        locked = _locked(charge)
        # A concurrent settle with the same numbers may have counted it already.
        if _settle_key(locked) == key:
            _count_given_back(locked, units, amount)
    return locked


def _metered_subscription(charge: UsageCharge) -> Subscription:
    """The tenant's live subscription at a provider that meters usage, with its customer (the
    integration keeps the provider's customer as the subscription's saved method)."""
    subscription = (
        Subscription.objects.for_tenant(charge.tenant)
        .filter(
            provider__in=gateways.providers_with(meters_usage=True),
            status__in=LIVE_STATUSES,
        )
        .exclude(payment_method_id="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if subscription is None:
        raise Conflict(
            _("The company has no Stripe customer to report the usage to."),
            "stripe_customer_missing",
        )
    return subscription


def _settle_arrears(charge: UsageCharge, delivered: int) -> UsageCharge:
    """Report the delivered units as one meter event (keyed by the charge's key, so a retry
    is not counted twice); the undelivered ones are simply never billed."""
    if charge.provider_ref or charge.refunded_quantity == charge.quantity:
        return charge  # reported already (or nothing was delivered and it was settled)
    meter_event_id = ""
    if delivered > 0:
        subscription = _metered_subscription(charge)
        report = UsageReport(
            customer_id=subscription.payment_method_id,
            quantity=delivered,
            idempotency_key=charge.idempotency_key,
        )
        try:
            meter_event_id = gateways.get_gateway(subscription.provider).report_usage(report)
        except ProviderError as exc:
            if exc.permanent:  # e.g. metering not configured: staff must fix, then retry
                raise Conflict(exc.user_message, "usage_report_failed") from exc
            raise ProviderUnavailable(
                exc.user_message, extra={"provider": subscription.provider, "alternatives": []}
            ) from exc
    with transaction.atomic():
        charge = _locked(charge)
        if charge.provider_ref or charge.refunded_quantity == charge.quantity:
            return charge
        units = charge.quantity - delivered
        charge.provider_ref = str(meter_event_id)[:100]
        charge.refunded_quantity = units
        charge.refunded_amount = units * charge.unit_amount
        charge.save(
            update_fields=["provider_ref", "refunded_quantity", "refunded_amount", "updated_at"]
        )
        history_record(
            charge.tenant,
            BillingEventKind.USAGE_CHARGED,
            message=stored_text(
                gettext_noop("%(ref)s: %(units)s units reported for the period's invoice"),
                ref=charge.reference,
                units=delivered,
            ),
            money=Money(delivered * charge.unit_amount, charge.currency),
            usage_charge=charge.pk,
            reference=charge.reference,
            quantity=delivered,
            meter_event=charge.provider_ref,
        )
    return charge
