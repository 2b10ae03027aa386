"""A paid action's charge row and its history: the one place a `UsageCharge` is written
(by the authorization in `usage_charges`, the card path in `usage_card`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from apps.billing.models import BillingEventKind, UsageCharge, UsageChargeMode, UsageChargeStatus
from apps.billing.services.history import history_record
from apps.core.events import log_event
from apps.core.money import Money
from apps.core.stored_text import stored_text
from apps.payments.models import Payment


@dataclass(frozen=True)
class ChargeRequest:
    """One authorization as the caller asked for it (validated)."""

    kind: str
    reference: str
    quantity: int
    unit_amount: int
    currency: str
    key: str
    description: str
    actor: object | None

    @property
    def money(self) -> Money:
        return Money(self.quantity * self.unit_amount, self.currency)


def derived_key(prefix: str, key: str) -> str:
    """A ledger/refund key derived from the charge's key, kept within 100 characters."""
    candidate = f"{prefix}{key}"
    if len(candidate) <= 100:
        return candidate
    return f"{prefix}{hashlib.sha256(key.encode()).hexdigest()}"


def usage_charge_record(
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
    amount = request.quantity * request.unit_amount
    charge = UsageCharge.objects.create(
        tenant=tenant,
        kind=request.kind,
        reference=request.reference,
        quantity=request.quantity,
        unit_amount=request.unit_amount,
        amount=amount,
        currency=request.currency,
        mode=mode,
        status=status,
        failure_reason=failure_reason[:300],
        idempotency_key=request.key,
        payment=payment,
        provider_ref=provider_ref[:100],
        created_by=request.actor,
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
            message=stored_text(
                gettext_noop("%(what)s: %(quantity)s × %(unit)s, %(how)s"),
                what=request.description,
                quantity=charge.quantity,
                unit=Money(charge.unit_amount, charge.currency),
                how=UsageChargeMode(mode).label,
            ),
            money=money,
            actor=request.actor,
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
            message=stored_text(
                gettext_noop("%(what)s: %(reason)s"),
                what=request.description,
                reason=failure_reason,
            ),
            money=money,
            actor=request.actor,
            **data,
        )
        log_event("usage_declined", tenant_id=str(tenant.pk), usage_charge_id=charge.pk)
    return charge
