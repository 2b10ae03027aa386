"""Refunds: money sent back for a payment, through the provider that took it.

The Refund row is committed before the provider is called, and its idempotency key is what the
provider gets (YooKassa's Idempotence-Key, T-Bank's ExternalRequestId): a retry after a timeout
or a crash — the same call with the same key — reaches the same provider refund. The payment row
is locked while a refund is reserved, and pending refunds count as reserved, so two refunds
together never exceed what was paid.
"""

from __future__ import annotations

import structlog
from celery.utils.time import get_exponential_backoff_interval
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.events import log_event
from apps.core.money import Money
from apps.payments import gateways, purposes, tasks
from apps.payments.errors import RefundFailed
from apps.payments.gateways import RefundRequest
from apps.payments.gateways.base import REFUNDED as GATEWAY_REFUNDED
from apps.payments.models import Payment, PaymentStatus, Refund
from apps.payments.services.invoices import credit_note_for_refund
from apps.payments.services.receipts import receipt_status_keep, refund_receipt_prepare
from apps.tenants.audit import audit_record
from apps.tenants.models import AuditAction

logger = structlog.get_logger("fastlead.payments.refunds")

REFUNDABLE = (PaymentStatus.SUCCEEDED,)


def payment_refund(
    *, payment: Payment, money: Money, reason: str, idempotency_key: str, actor=None
) -> Refund:
    """Refund `money` of `payment` (all or part of what is left). Idempotent by key: a
    completed refund is returned as it is, a pending one is sent again with the same key."""
    refund = _refund_reserve(
        payment=payment, money=money, reason=reason, idempotency_key=idempotency_key, actor=actor
    )
    if refund.status == PaymentStatus.SUCCEEDED:
        return refund
    if refund.status == PaymentStatus.FAILED:
        raise RefundFailed(
            _("The payment service refused this refund: %(reason)s")
            % {"reason": refund.raw.get("error", "")},
            extra={"refund_id": str(refund.pk)},
        )
    payment = Payment.objects.for_tenant(refund.tenant_id).get(pk=refund.payment_id)
    try:
        result = gateways.get_gateway(payment.provider).refund(
            RefundRequest(
                provider_payment_id=payment.provider_id,
                amount=refund.money,
                idempotency_key=refund.idempotency_key,
                receipt=refund_receipt_prepare(refund, payment),
            )
        )
    except ProviderError as exc:
        _refund_failed(refund, exc)
        if not exc.permanent:
            _retry_later(refund)  # never left pending if the caller gives up
        raise RefundFailed(
            _("The refund could not be made: %(reason)s Try again later.")
            % {"reason": exc.user_message}
            if not exc.permanent
            else _("The payment service refused this refund: %(reason)s")
            % {"reason": exc.user_message},
            extra={"refund_id": str(refund.pk), "retryable": not exc.permanent},
        ) from exc
    receipt_status_keep(refund, result.receipt_status)
    if result.status != GATEWAY_REFUNDED:
        # Accepted but still being processed: keep it pending; a task asks again later.
        Refund.objects.for_tenant(refund.tenant_id).filter(pk=refund.pk).update(
            provider_id=result.provider_id[:64], raw=result.raw
        )
        refund.refresh_from_db()
        _retry_later(refund)
        return refund
    return _refund_complete(refund, provider_id=result.provider_id, raw=result.raw, actor=actor)


def _refund_reserve(
    *, payment: Payment, money: Money, reason: str, idempotency_key: str, actor=None
) -> Refund:
    """The Refund row for this key, created (and committed) under a lock on the payment,
    with its audit row (who refunded what, or the system for automatic refunds)."""
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValidationFailed(_("A refund needs an idempotency key of up to 64 characters."))
    existing = Refund.objects.unscoped().filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_refund(existing, payment, money)
    if payment.tenant_id is None:
        raise Conflict(
            _("The payment's company was deleted: it is kept for accounting only."),
            "payment_retained",
        )
    if money.amount <= 0:
        raise ValidationFailed(_("The refund amount must be positive."), code="refund_amount")
    try:
        with transaction.atomic():
            locked = (
                Payment.objects.for_tenant(payment.tenant_id).select_for_update().get(pk=payment.pk)
            )
            if locked.status not in REFUNDABLE:
                raise Conflict(
                    _("Only a successful payment can be refunded."), "payment_not_refundable"
                )
            if money.currency != locked.currency:
                raise ValidationFailed(
                    _("The refund must be in the payment's currency (%(currency)s).")
                    % {"currency": locked.currency},
                    code="refund_currency",
                )
            if not locked.provider_id:
                raise Conflict(
                    _("The payment has no provider reference to refund."),
                    "payment_not_refundable",
                )
            pending = (
                Refund.objects.for_tenant(locked.tenant_id)
                .filter(payment=locked, status=PaymentStatus.PENDING)
                .aggregate(total=Sum("amount"))["total"]
                or 0
            )
            available = locked.amount - locked.refunded_amount - pending
            if money.amount > available:
                raise ValidationFailed(
                    _("At most %(amount)s %(currency)s of this payment can still be refunded.")
                    % {
                        "amount": Money(max(available, 0), locked.currency).to_decimal(),
                        "currency": locked.currency,
                    },
                    code="refund_too_large",
                )
            refund = Refund.objects.create(
                tenant_id=locked.tenant_id,
                payment=locked,
                amount=money.amount,
                currency=money.currency,
                reason=str(reason)[:300],
                idempotency_key=idempotency_key,
            )
            audit_record(
                tenant=locked.tenant,
                actor=actor,
                action=AuditAction.REFUND_CREATED,
                target=refund,
                before={"refunded_amount": locked.refunded_amount},
                after={
                    "amount": refund.amount,
                    "currency": refund.currency,
                    "payment_id": str(locked.pk),
                    "reason": refund.reason,
                },
            )
            return refund
    except IntegrityError:  # a concurrent call with the same key won the insert
        existing = Refund.objects.unscoped().filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_refund(existing, payment, money)


def _same_refund(existing: Refund, payment: Payment, money: Money) -> Refund:
    if existing.payment_id != payment.pk or existing.money != money:
        raise Conflict(
            _("This idempotency key was used for another refund."), "idempotency_key_reused"
        )
    return existing


def _refund_failed(refund: Refund, exc: ProviderError) -> None:
    log_event(
        "payment_refund_failed",
        tenant_id=str(refund.tenant_id),
        payment_id=str(refund.payment_id),
        refund_id=str(refund.pk),
        permanent=exc.permanent,
        code=exc.code,
    )
    raw = {**refund.raw, "error": exc.user_message, "error_code": exc.code}
    fields = {"raw": raw}
    if exc.permanent:
        fields["status"] = PaymentStatus.FAILED  # releases the reserved amount
    Refund.objects.for_tenant(refund.tenant_id).filter(
        pk=refund.pk, status=PaymentStatus.PENDING
    ).update(**fields)


@transaction.atomic
def _refund_complete(refund: Refund, *, provider_id: str, raw: dict, actor=None) -> Refund:
    """The provider refunded: mark it, add it to the payment, tell its purpose (billing writes
    the history row) and issue the credit note — once, however many times this runs."""
    payment = (
        Payment.objects.for_tenant(refund.tenant_id)
        .select_for_update()
        .select_related("tenant")
        .get(pk=refund.payment_id)
    )
    refund = Refund.objects.for_tenant(refund.tenant_id).select_for_update().get(pk=refund.pk)
    if refund.status == PaymentStatus.SUCCEEDED:
        return refund
    refund.status = PaymentStatus.SUCCEEDED
    refund.provider_id = (provider_id or "")[:64]
    refund.raw = raw or {}
    refund.save(update_fields=["status", "provider_id", "raw", "updated_at"])
    payment.refunded_amount += refund.amount
    fields = ["refunded_amount", "updated_at"]
    if payment.refunded_amount >= payment.amount:
        payment.status = PaymentStatus.REFUNDED
        fields.append("status")
    payment.save(update_fields=fields)
    purposes.payment_refunded(payment, refund, actor)
    credit_note_for_refund(refund)
    log_event(
        "payment_refunded",
        tenant_id=str(payment.tenant_id),
        payment_id=str(payment.pk),
        refund_id=str(refund.pk),
        amount=refund.amount,
        currency=refund.currency,
        full=payment.status == PaymentStatus.REFUNDED,
    )
    return refund


def _retry_later(refund: Refund) -> None:
    refund_id = str(refund.pk)
    transaction.on_commit(
        lambda: tasks.refund_complete_task.apply_async((refund_id,), countdown=60)
    )


def retry_countdown(retries: int) -> int:
    """Seconds before a refund task's next try: Celery's exponential backoff, 1 min to 1 h."""
    return get_exponential_backoff_interval(60, retries, 3600, full_jitter=False)


def refund_retry(refund_id) -> str:
    """Send a pending refund again with its own key (the provider answers the first result);
    returns its status afterwards."""
    refund = Refund.objects.unscoped().select_related("payment").filter(pk=refund_id).first()
    if refund is None or refund.status != PaymentStatus.PENDING:
        return refund.status if refund is not None else "missing"
    refund = payment_refund(
        payment=refund.payment,
        money=refund.money,
        reason=refund.reason,
        idempotency_key=refund.idempotency_key,
    )
    return refund.status


def payment_refund_duplicate(payment_id) -> Refund | None:
    """A payment for a plan the tenant already held (paid twice from two tabs): refund all of
    it. Idempotent (key `double-<payment id>`); run by a task after the commit."""
    payment = Payment.objects.unscoped().select_related("tenant").filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.SUCCEEDED or payment.subscription_id:
        return None
    left = payment.amount - payment.refunded_amount
    if left <= 0:
        return None
    return payment_refund(
        payment=payment,
        money=Money(left, payment.currency),
        reason=_("Paid twice for the same plan: the second payment is refunded."),
        idempotency_key=f"double-{payment.pk}",
    )
