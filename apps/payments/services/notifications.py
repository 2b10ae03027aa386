"""Provider notifications: record the event id first (a replay stops there), then apply."""

from __future__ import annotations

import uuid

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Q

from apps.payments.gateways import NotificationEvent
from apps.payments.models import Payment, PaymentEvent
from apps.payments.services.payments import payment_apply_status
from apps.payments.services.receipts import receipt_status_keep, refund_receipt_reported
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.payments")


def _payment_by_order_ref(event: NotificationEvent) -> Payment | None:
    """A payment whose provider id we never saved (the process died between the provider call
    and our commit), found by the reference the provider echoes back; it adopts the id."""
    ref = event.order_ref
    if not ref or not event.provider_payment_id:
        return None
    candidates = Payment.objects.unscoped().filter(provider=event.provider, provider_id="")
    try:
        match = Q(idempotency_key=ref) | Q(pk=uuid.UUID(ref))
    except ValueError:
        match = Q(idempotency_key=ref)
    payment = candidates.filter(match).select_for_update(of=("self",)).first()
    if payment is not None:
        payment.provider_id = event.provider_payment_id[:64]
        payment.save(update_fields=["provider_id", "updated_at"])
    return payment


def payment_notification_process(event: NotificationEvent) -> str:
    """A verified notification: record its id first (a replay stops there), then apply it.
    Returns "duplicate", "unknown", "retained" (a deleted company's payment, kept for
    accounting: ignored) or "applied"; the caller answers 200 in every case."""
    with transaction.atomic():
        payment = (
            Payment.objects.unscoped()
            .filter(provider=event.provider, provider_id=event.provider_payment_id)
            .select_related("tenant")
            .first()
        ) or _payment_by_order_ref(event)
        if payment is None:
            # Not recorded: the provider's retry gets another chance once the row is known.
            logger.warning(
                "payment_notification_unknown", provider=event.provider, event_id=event.event_id
            )
            return "unknown"
        if payment.tenant_id is None:
            # Kept for accounting after its company was deleted: nothing to apply it to.
            logger.warning(
                "payment_notification_retained", provider=event.provider, event_id=event.event_id
            )
            return "retained"
        try:
            with transaction.atomic():
                PaymentEvent.objects.create(
                    provider=event.provider,
                    provider_event_id=event.event_id[:128],
                    payment=payment,
                    status=event.status,
                    raw=event.raw,
                )
        except IntegrityError:
            return "duplicate"
        if event.receipt_of_refund:
            amount = event.amount.amount if event.amount is not None else None
            refund_receipt_reported(payment, event.receipt_status, amount)
            return "applied"
        receipt_status_keep(payment, event.receipt_status)
        with tenant_scope(payment.tenant):
            payment_apply_status(
                payment,
                event.status,
                raw=event.raw,
                payment_method_id=event.payment_method_id,
                failure_reason=event.failure_reason,
                reported=event.amount,
            )
    return "applied"
