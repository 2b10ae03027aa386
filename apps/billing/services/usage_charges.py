"""Paid, metered actions (AI enrichment first): authorize before the work, settle after it.

`usage_charge_authorize` decides how the action is paid, in this order:

1. nothing to pay (no units, or a price of 0) -> mode "included";
2. a plan billed in arrears whose live subscription's gateway `meters_usage` (Stripe) ->
   mode "arrears": nothing is charged now, the delivered units are reported to the provider
   when the work is over (`usage_settle`);
3. otherwise prepaid: the credit balance when it covers the whole amount (mode "credit"),
   else the live subscription's saved card (mode "card"), else `PaymentMethodRequired`.

Every call carries an idempotency key (one per run): a second call with it returns the first
result, and a declined one raises the same decline again without calling the provider.

A card charge is a `Payment` (kind "usage") committed *before* the provider is called. Its id
is derived from the tenant and the key, and its idempotency key goes to the provider, so a
retry after a timeout, a 5xx or a worker killed between the provider call and our commit
reaches the same provider payment and never creates a second one. Call this function outside
any open transaction, so that the payment row is really committed before the call.

The card path is `usage_card`, the charge row `usage_records`.

Policy for failed work: **leads that fail are refunded**. `usage_charge_settle` gives back
the units not delivered — to the credit balance, as a partial card refund, or (in arrears)
by reporting only the delivered units — and the charge keeps `refunded_quantity` /
`refunded_amount`, which the invoice and the billing page show.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.errors import PaymentDeclined, PaymentMethodRequired
from apps.billing.models import (
    LIVE_STATUSES,
    BillingAccount,
    Subscription,
    UsageBilling,
    UsageCharge,
    UsageChargeMode,
    UsageChargeStatus,
)
from apps.billing.services.credits import credit_spend
from apps.billing.services.usage_card import usage_card_charge
from apps.billing.services.usage_records import ChargeRequest, derived_key, usage_charge_record
from apps.billing.services.usage_settle import usage_charge_settle
from apps.core.errors import Conflict, ValidationFailed
from apps.core.money import Money
from apps.core.stored_text import StoredText
from apps.payments import gateways
from apps.payments.models import Payment, PaymentKind

_PAYMENT_NAMESPACE = uuid.UUID("6c1f9a52-4d0e-4f4e-9a55-2f6b1c0d7e31")

__all__ = [
    "enrichment_unit_price",
    "usage_billed_in_arrears",
    "usage_charge_authorize",
    "usage_charge_settle",
    "usage_payment_started",
]


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
    request = ChargeRequest(
        kind=kind,
        reference=reference[:100],
        quantity=quantity,
        unit_amount=unit_amount,
        currency=currency,
        key=idempotency_key,
        description=_description(description, kind),
        actor=actor if getattr(actor, "pk", None) else None,
    )
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
    return usage_card_charge(tenant, payment, request)


def _description(description, kind: str) -> str:
    """The caller's description, kept as a stored text (rendered in each reader's language
    in the billing history) when it is one and fits."""
    if isinstance(description, StoredText) and len(description) <= 300:
        return description
    return (str(description) or kind)[:300]


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


def _existing_charge(tenant, request: ChargeRequest) -> UsageCharge | None:
    charge = (
        UsageCharge.objects.unscoped()
        .filter(idempotency_key=request.key)
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
        request.kind,
        request.quantity,
        request.unit_amount,
        request.currency,
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


def usage_billed_in_arrears(subscription: Subscription | None) -> bool:
    """Whether paid actions on this subscription are metered and billed in arrears: its plan
    says so and its provider meters usage (otherwise they are prepaid)."""
    return (
        subscription is not None
        and subscription.plan.usage_billing == UsageBilling.ARREARS
        and gateways.capabilities(subscription.provider).meters_usage
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


@transaction.atomic
def _decide(tenant, request: ChargeRequest) -> tuple[UsageCharge | None, Payment | None]:
    """Under the tenant's billing lock: settle the modes that need no provider call at once,
    or commit the card payment that the provider call will use."""
    BillingAccount.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    BillingAccount.objects.for_tenant(tenant).select_for_update().get()
    # A concurrent call with the same key may have finished while we waited for the lock.
    existing = _existing_charge(tenant, request)
    if existing is not None:
        return existing, None
    money = request.money
    if money.amount == 0:
        return usage_charge_record(tenant, request, UsageChargeMode.INCLUDED), None
    subscription = _live_subscription(tenant, money.currency)
    if usage_billed_in_arrears(subscription):
        return usage_charge_record(tenant, request, UsageChargeMode.ARREARS), None
    # A card payment started by an earlier attempt (its outcome may be unknown) is finished
    # first, whatever the balance says now: paying it twice must be impossible.
    payment = Payment.objects.for_tenant(tenant).filter(pk=_payment_id(tenant, request.key))
    payment = payment.first()
    if payment is not None:
        return None, payment
    entry = credit_spend(
        tenant=tenant,
        money=money,
        reason=request.description,
        idempotency_key=derived_key("usage-", request.key),
        reference=request.reference,
    )
    if entry is not None:
        return usage_charge_record(
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


def _payment_create(
    tenant, subscription: Subscription, money: Money, request: ChargeRequest
) -> Payment:
    payment_id = _payment_id(tenant, request.key)
    return Payment.objects.create(
        id=payment_id,
        idempotency_key=f"fl-pay-{payment_id}",
        tenant=tenant,
        plan=subscription.plan,
        kind=PaymentKind.USAGE,
        description=request.description,
        amount=money.amount,
        currency=money.currency,
        provider=subscription.provider,
        is_test=gateways.get_gateway(subscription.provider).is_test,
        payment_method_id=subscription.payment_method_id,
        created_by=request.actor,
    )
