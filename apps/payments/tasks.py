"""Celery entry points of payments (queue `billing`: the names are the ones they had in
billing, so queued tasks and routes keep working)."""

from celery import shared_task

from apps.payments.errors import RefundFailed
from apps.payments.services import receipts, refunds, retention


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=8,
    name="apps.billing.tasks.refund_duplicate_payment_task",
)
def refund_duplicate_payment_task(self, payment_id: str) -> str:
    """Refund a payment made for a plan the tenant already held (idempotent key
    `double-<payment id>`: a re-delivery or retry reaches the same provider refund)."""
    try:
        refund = refunds.payment_refund_duplicate(payment_id)
    except RefundFailed as exc:
        if exc.extra.get("retryable"):
            countdown = refunds.retry_countdown(self.request.retries)
            raise self.retry(exc=exc, countdown=countdown) from exc
        raise
    return refund.status if refund is not None else "nothing"


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=12,
    name="apps.billing.tasks.refund_complete_task",
)
def refund_complete_task(self, refund_id: str) -> str:
    """A refund the provider accepted but had not finished (or did not answer): ask again with
    the same key until it is done or refused."""
    try:
        status = refunds.refund_retry(refund_id)
    except RefundFailed as exc:
        if exc.extra.get("retryable"):
            countdown = refunds.retry_countdown(self.request.retries)
            raise self.retry(exc=exc, countdown=countdown) from exc
        raise
    if status == "pending":
        raise self.retry(countdown=refunds.retry_countdown(self.request.retries))
    return status


@shared_task(acks_late=True, ignore_result=True, time_limit=600)
def refresh_pending_receipts_task() -> int:
    """Beat: the registration of fiscal receipts the provider reports only when asked."""
    return receipts.receipts_pending_refresh()


@shared_task(acks_late=True, ignore_result=True, time_limit=600)
def purge_retained_records_task() -> dict:
    """Delete deleted companies' invoices, payments and refunds kept past their date."""
    return retention.retained_records_purge()
