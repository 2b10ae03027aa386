"""Paid, metered actions (AI enrichment first): authorize before the work, settle after it.

`usage_charge_authorize` decides how the action is paid, in this order:

1. nothing to pay (no units, or a price of 0) -> mode "included";
2. a plan billed in arrears whose live subscription is a Stripe one -> mode "arrears":
   nothing is charged now, the delivered units are reported to Stripe when the work is over;
3. otherwise prepaid: the credit balance when it covers the whole amount (mode "credit"),
   else the live subscription's saved card (mode "card"), else `PaymentMethodRequired`.

Every call carries an idempotency key (one per run): a second call with it returns the first
result, and a declined one raises the same decline again without calling the provider.

A card charge is a `Payment` (kind "usage") committed *before* the provider is called. Its id
is derived from the tenant and the key, and its idempotency key goes to the provider, so a
retry after a timeout, a 5xx or a worker killed between the provider call and our commit
reaches the same provider payment and never creates a second one. Call this function outside
any open transaction, so that the payment row is really committed before the call.

Policy for failed work: **leads that fail are refunded**. `usage_charge_settle` gives back
the units not delivered — to the credit balance, as a partial card refund, or (in arrears)
by reporting only the delivered units — and the charge keeps `refunded_quantity` /
`refunded_amount`, which the invoice and the billing page show.
"""

from __future__ import annotations

import hashlib
import uuid

import structlog
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import gateways, selectors
from apps.billing.errors import PaymentDeclined, PaymentMethodRequired
from apps.billing.gateways import ProviderError
from apps.billing.models import (
    LIVE_STATUSES,
    BillingAccount,
    BillingEventKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    Subscription,
    UsageBilling,
    UsageCharge,
    UsageChargeMode,
    UsageChargeStatus,
)
from apps.billing.services.credits import credit_add, credit_spend
from apps.billing.services.history import history_record
from apps.billing.services.payments import (
    ProviderUnavailable,
    payment_apply_status,
    payment_claim,
)
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import log_event
from apps.core.money import Money
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.usage")

STRIPE = gateways.STRIPE
_PAYMENT_NAMESPACE = uuid.UUID("6c1f9a52-4d0e-4f4e-9a55-2f6b1c0d7e31")


# --- prices ----------------------------------------------------------------------------------


def enrichment_unit_price(tenant) -> Money:
    """The AI enrichment price per lead on the tenant's current plan (the trial has one too;
    0 means included in the plan)."""
    subscription = selectors.subscription_current(tenant)
    plan = subscription.plan if subscription is not None else selectors.trial_plan()
    return Money(int(plan.enrichment_price_amount), plan.currency)


# --- authorize -------------------------------------------------------------------------------


def usage_charge_authorize(
    *,
    tenant,
    kind: str,
    reference: str,
    quantity: int,
    unit_amount: int,
    currency: str,
    idempotency_key: str,
    description: str,
    actor=None,
) -> UsageCharge:
    """Authorize `quantity` × `unit_amount` before the work starts (see the module docstring).

    Raises `PaymentDeclined` (the card's reason), `PaymentMethodRequired` (no card and not
    enough credit) or `ProviderUnavailable` (the provider did not answer: nothing is
    authorized, and a retry with the same key is safe).
    """
    _validate(kind, reference, quantity, unit_amount, currency, idempotency_key)
    request = {
        "kind": kind,
        "reference": reference[:100],
        "quantity": quantity,
        "unit_amount": unit_amount,
        "currency": currency,
        "key": idempotency_key,
        "description": (str(description) or kind)[:300],
        "actor": actor if getattr(actor, "pk", None) else None,
    }
    existing = _existing_charge(tenant, request)
    if existing is not None:
        return _replay(existing)
    try:
        charge, payment = _decide(tenant, request)
    except IntegrityError:
        # A concurrent call with the same key won the insert: answer as it did.
        existing = _existing_charge(tenant, request)
        if existing is None:
            raise
        return _replay(existing)
    if charge is not None:
        return _replay(charge)
    return _charge_card(tenant, payment, request)


def _validate(kind, reference, quantity, unit_amount, currency, key) -> None:
    errors = {}
    if not kind or len(kind) > 32:
        errors["kind"] = [_("Name the paid action (up to 32 characters).")]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        errors["quantity"] = [_("The quantity must be a whole number, 0 or more.")]
    if not isinstance(unit_amount, int) or isinstance(unit_amount, bool) or unit_amount < 0:
        errors["unit_amount"] = [_("The unit price must be whole minor units, 0 or more.")]
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        errors["currency"] = [_("The currency must be an ISO 4217 code such as RUB.")]
    if not key or len(key) > 100:
        errors["idempotency_key"] = [_("An idempotency key of 1 to 100 characters is required.")]
    if not reference:
        errors["reference"] = [_("A reference (e.g. the run id) is required.")]
    if errors:
        raise ValidationFailed(
            _("The paid action cannot be charged: %(fields)s.") % {"fields": ", ".join(errors)},
            code="invalid_usage_charge",
            fields=errors,
        )


def _existing_charge(tenant, request) -> UsageCharge | None:
    charge = (
        UsageCharge.objects.unscoped()
        .filter(idempotency_key=request["key"])
        .select_related("payment")
        .first()
    )
    if charge is None:
        return None
    if charge.tenant_id != tenant.pk:
        raise Conflict(
            _("This idempotency key belongs to another company's charge."),
            "idempotency_key_reused",
        )
    same = (charge.kind, charge.quantity, charge.unit_amount, charge.currency) == (
        request["kind"],
        request["quantity"],
        request["unit_amount"],
        request["currency"],
    )
    if not same:
        raise Conflict(
            _("This idempotency key was used for a different charge."), "idempotency_key_reused"
        )
    return charge


def _replay(charge: UsageCharge) -> UsageCharge:
    if charge.status == UsageChargeStatus.DECLINED:
        raise PaymentDeclined(charge.failure_reason or _("The card was declined."))
    return charge


def _live_subscription(tenant, currency: str) -> Subscription | None:
    """The live subscription that pays for actions in `currency` (newest first)."""
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(status__in=LIVE_STATUSES, plan__currency=currency)
        .select_related("plan")
        .order_by("-created_at", "-pk")
        .first()
    )


def usage_payment_started(tenant, idempotency_key: str) -> bool:
    """Whether an authorization with this key got as far as a card payment (whose outcome
    may still be unknown): a caller recovering from a crash must retry with the same key."""
    return (
        Payment.objects.for_tenant(tenant).filter(pk=_payment_id(tenant, idempotency_key)).exists()
    )


def _payment_id(tenant, key: str) -> uuid.UUID:
    """The card payment of one authorization: the same tenant and key give the same id, so a
    retry finds the payment its first attempt committed."""
    return uuid.uuid5(_PAYMENT_NAMESPACE, f"{tenant.pk}:{key}")


def _derived_key(prefix: str, key: str) -> str:
    """A ledger/refund key derived from the charge's key, kept within 100 characters."""
    candidate = f"{prefix}{key}"
    if len(candidate) <= 100:
        return candidate
    return f"{prefix}{hashlib.sha256(key.encode()).hexdigest()}"


@transaction.atomic
def _decide(tenant, request) -> tuple[UsageCharge | None, Payment | None]:
    """Under the tenant's billing lock: settle the modes that need no provider call at once,
    or commit the card payment that the provider call will use."""
    BillingAccount.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    BillingAccount.objects.for_tenant(tenant).select_for_update().get()
    # A concurrent call with the same key may have finished while we waited for the lock.
    existing = _existing_charge(tenant, request)
    if existing is not None:
        return existing, None
    money = Money(request["quantity"] * request["unit_amount"], request["currency"])
    if money.amount == 0:
        return _record(tenant, request, UsageChargeMode.INCLUDED), None
    subscription = _live_subscription(tenant, money.currency)
    plan = subscription.plan if subscription is not None else None
    if (
        plan is not None
        and plan.usage_billing == UsageBilling.ARREARS
        and subscription.provider == STRIPE
    ):
        return _record(tenant, request, UsageChargeMode.ARREARS), None
    # A card payment started by an earlier attempt (its outcome may be unknown) is finished
    # first, whatever the balance says now: paying it twice must be impossible.
    payment = Payment.objects.for_tenant(tenant).filter(pk=_payment_id(tenant, request["key"]))
    payment = payment.first()
    if payment is not None:
        return None, payment
    entry = credit_spend(
        tenant=tenant,
        money=money,
        reason=request["description"],
        idempotency_key=_derived_key("usage-", request["key"]),
        reference=request["reference"],
    )
    if entry is not None:
        return _record(
            tenant, request, UsageChargeMode.CREDIT, provider_ref=f"credit:{entry.pk}"
        ), None
    if subscription is None or not subscription.payment_method_id or not subscription.provider:
        raise PaymentMethodRequired(
            _(
                "Not enough credit to pay for this (%(amount)s). Add a card on the billing "
                "page, then try again."
            )
            % {"amount": money},
            extra={
                "billing_url": reverse("billing:overview", kwargs={"tenant_slug": tenant.slug}),
                "amount": money.amount,
                "currency": money.currency,
            },
        )
    return None, _payment_create(tenant, subscription, money, request)


def _payment_create(tenant, subscription: Subscription, money: Money, request) -> Payment:
    payment_id = _payment_id(tenant, request["key"])
    return Payment.objects.create(
        id=payment_id,
        idempotency_key=f"fl-pay-{payment_id}",
        tenant=tenant,
        plan=subscription.plan,
        kind=PaymentKind.USAGE,
        description=request["description"],
        amount=money.amount,
        currency=money.currency,
        provider=subscription.provider,
        is_test=subscription.provider == gateways.SANDBOX,
        payment_method_id=subscription.payment_method_id,
        created_by=request["actor"],
    )


def _record(
    tenant,
    request,
    mode: str,
    *,
    status: str = UsageChargeStatus.AUTHORIZED,
    payment: Payment | None = None,
    provider_ref: str = "",
    failure_reason: str = "",
) -> UsageCharge:
    """Write the charge and its history row (inside the caller's transaction)."""
    amount = request["quantity"] * request["unit_amount"]
    charge = UsageCharge.objects.create(
        tenant=tenant,
        kind=request["kind"],
        reference=request["reference"],
        quantity=request["quantity"],
        unit_amount=request["unit_amount"],
        amount=amount,
        currency=request["currency"],
        mode=mode,
        status=status,
        failure_reason=failure_reason[:300],
        idempotency_key=request["key"],
        payment=payment,
        provider_ref=provider_ref[:100],
        created_by=request["actor"],
    )
    money = charge.money
    data = {
        "usage_charge": charge.pk,
        "action": charge.kind,
        "reference": charge.reference,
        "quantity": charge.quantity,
        "mode": mode,
    }
    if payment is not None:
        data["payment"] = str(payment.pk)
    if status == UsageChargeStatus.AUTHORIZED:
        history_record(
            tenant,
            BillingEventKind.USAGE_CHARGED,
            message=_("%(what)s: %(quantity)s × %(unit)s, %(how)s")
            % {
                "what": request["description"],
                "quantity": charge.quantity,
                "unit": Money(charge.unit_amount, charge.currency),
                "how": UsageChargeMode(mode).label,
            },
            money=money,
            actor=request["actor"],
            **data,
        )
        log_event(
            "usage_charged",
            tenant_id=str(tenant.pk),
            usage_charge_id=charge.pk,
            mode=mode,
            amount=charge.amount,
            currency=charge.currency,
        )
    else:
        history_record(
            tenant,
            BillingEventKind.USAGE_DECLINED,
            message=_("%(what)s: %(reason)s")
            % {"what": request["description"], "reason": failure_reason},
            money=money,
            actor=request["actor"],
            **data,
        )
        log_event("usage_declined", tenant_id=str(tenant.pk), usage_charge_id=charge.pk)
    return charge


# --- the card path ---------------------------------------------------------------------------


def _release(payment: Payment, **fields) -> None:
    Payment.objects.unscoped().filter(pk=payment.pk).update(claimed_at=None, **fields)


def _charge_card(tenant, payment: Payment, request) -> UsageCharge:
    payment = Payment.objects.for_tenant(tenant).get(pk=payment.pk)
    if payment.status == PaymentStatus.SUCCEEDED:  # confirmed meanwhile (webhook, last try)
        return _card_succeeded(tenant, payment, request, raw=payment.raw)
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        return _card_declined(tenant, payment, request, payment.failure_reason)
    if not payment_claim(payment):
        raise ProviderUnavailable(
            _("The payment for this action is being processed. Try again in a minute."),
            extra={"provider": payment.provider, "alternatives": []},
        )
    gateway = gateways.get_gateway(payment.provider)
    try:
        # A retry sends the same idempotency key: the provider answers with the payment it
        # already made instead of charging again.
        result = gateway.charge_saved(
            method_id=payment.payment_method_id,
            amount=payment.money,
            idempotency_key=payment.idempotency_key,
            description=payment.description,
            metadata={
                "payment_id": str(payment.pk),
                "customer_key": str(tenant.pk),
                "tenant_slug": tenant.slug,
                "usage_reference": request["reference"],
            },
        )
    except ProviderError as exc:
        if exc.permanent:
            return _card_declined(tenant, payment, request, exc.user_message)
        _release(payment, failure_reason=exc.user_message[:300])
        log_event(
            "usage_charge_unavailable",
            tenant_id=str(tenant.pk),
            payment_id=str(payment.pk),
            provider=payment.provider,
        )
        raise ProviderUnavailable(
            exc.user_message, extra={"provider": payment.provider, "alternatives": []}
        ) from exc
    if result.provider_id and not payment.provider_id:
        payment.provider_id = result.provider_id
        Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(
            provider_id=result.provider_id, raw=result.raw
        )
    if result.status == PaymentStatus.SUCCEEDED:
        return _card_succeeded(tenant, payment, request, raw=result.raw)
    if result.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        return _card_declined(
            tenant, payment, request, result.failure_reason or _("The card was declined.")
        )
    # Still pending at the provider (e.g. its own checks): nothing is authorized yet; the
    # next call with the same key asks the provider again.
    _release(payment)
    raise ProviderUnavailable(
        _("The bank is still confirming the payment. Try again in a minute."),
        extra={"provider": payment.provider, "alternatives": []},
    )


def _card_succeeded(tenant, payment: Payment, request, *, raw: dict) -> UsageCharge:
    with tenant_scope(tenant), transaction.atomic():
        existing = UsageCharge.objects.for_tenant(tenant).filter(idempotency_key=request["key"])
        charge = existing.first()
        if charge is None:
            # The charge exists before the payment turns succeeded, so the payment's invoice
            # (issued on success) has its lines.
            charge = _record(
                tenant,
                request,
                UsageChargeMode.CARD,
                payment=payment,
                provider_ref=payment.provider_id or "",
            )
        payment_apply_status(payment, PaymentStatus.SUCCEEDED, raw=raw)
        Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(claimed_at=None)
        _invoice_link(payment)
    charge.refresh_from_db()
    return charge


def _invoice_link(payment: Payment) -> None:
    """The payment's invoice (issued by the success hook; asked for again here, which is
    idempotent, in case the hook does not cover usage payments) and its charges' link."""
    try:
        from apps.billing.services.invoices import invoice_for_payment
    except ImportError:  # invoices not built in this installation
        return
    payment = Payment.objects.for_tenant(payment.tenant).get(pk=payment.pk)
    invoice = invoice_for_payment(payment)
    if invoice is not None:
        UsageCharge.objects.for_tenant(payment.tenant).filter(
            payment=payment, invoice__isnull=True
        ).update(invoice=invoice, updated_at=timezone.now())


def _card_declined(tenant, payment: Payment, request, reason: str) -> UsageCharge:
    reason = str(reason or _("The card was declined."))[:300]
    with tenant_scope(tenant), transaction.atomic():
        charge = UsageCharge.objects.for_tenant(tenant).filter(idempotency_key=request["key"])
        if not charge.exists():
            _record(
                tenant,
                request,
                UsageChargeMode.CARD,
                status=UsageChargeStatus.DECLINED,
                payment=payment,
                failure_reason=reason,
            )
        payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=reason)
        Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(claimed_at=None)
    raise PaymentDeclined(reason)


# --- settle ----------------------------------------------------------------------------------


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
                message=_("%(reason)s: %(units)s × %(unit)s back to the balance")
                % {
                    "reason": reason,
                    "units": units,
                    "unit": Money(charge.unit_amount, charge.currency),
                },
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
    from apps.billing.services.refunds import payment_refund

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


def _stripe_customer_id(charge: UsageCharge) -> str:
    """The Stripe customer of the tenant's live Stripe subscription (the Stripe integration
    keeps the customer id as the subscription's saved payment method)."""
    subscription = (
        Subscription.objects.for_tenant(charge.tenant)
        .filter(provider=STRIPE, status__in=LIVE_STATUSES)
        .exclude(payment_method_id="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if subscription is None:
        raise Conflict(
            _("The company has no Stripe customer to report the usage to."),
            "stripe_customer_missing",
        )
    return subscription.payment_method_id


def _settle_arrears(charge: UsageCharge, delivered: int) -> UsageCharge:
    """Report the delivered units as one meter event (keyed by the charge's key, so a retry
    is not counted twice); the undelivered ones are simply never billed."""
    if charge.provider_ref or charge.refunded_quantity == charge.quantity:
        return charge  # reported already (or nothing was delivered and it was settled)
    meter_event_id = ""
    if delivered > 0:
        try:
            meter_event_id = gateways.get_gateway(STRIPE).report_usage(
                customer_id=_stripe_customer_id(charge),
                quantity=delivered,
                idempotency_key=charge.idempotency_key,
            )
        except ProviderError as exc:
            if exc.permanent:  # e.g. metering not configured: staff must fix, then retry
                raise Conflict(exc.user_message, "usage_report_failed") from exc
            raise ProviderUnavailable(
                exc.user_message, extra={"provider": STRIPE, "alternatives": []}
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
            message=_("%(ref)s: %(units)s units reported for the period's invoice")
            % {"ref": charge.reference, "units": delivered},
            money=Money(delivered * charge.unit_amount, charge.currency),
            usage_charge=charge.pk,
            reference=charge.reference,
            quantity=delivered,
            meter_event=charge.provider_ref,
        )
    return charge


__all__ = [
    "enrichment_unit_price",
    "usage_charge_authorize",
    "usage_charge_settle",
]
