"""Celery entry points of the webhooks (thin: the work is in delivery.py). On the `messaging`
queue (settings.CELERY_TASK_ROUTES): outbound traffic, like the messages to leads."""

from __future__ import annotations

from celery import shared_task

from apps.integrations.delivery import (
    deliveries_due,
    deliveries_recover_abandoned,
    delivery_send,
)
from apps.tenants.tasking import tenant_task


@tenant_task(acks_late=True, ignore_result=True)
def deliver_webhook_task(tenant, delivery_id: int) -> str:
    """One attempt at one delivery. Safe to deliver twice: the row is claimed first. A later
    delivery of the same object that waited for this one is queued next."""
    outcome, following = delivery_send(tenant, delivery_id)
    if following is not None:
        deliver_webhook_task.delay(str(tenant.pk), following)
    return outcome


@shared_task(acks_late=True, ignore_result=True)
def dispatch_webhook_deliveries_task() -> int:
    """Queue every due delivery: retries whose time has come, and big batches (beat)."""
    due = deliveries_due()
    for tenant_id, delivery_id in due:
        deliver_webhook_task.delay(tenant_id, delivery_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def recover_webhook_deliveries_task() -> int:
    """Deliveries left `sending` by a dead worker are pending again (beat)."""
    return deliveries_recover_abandoned()
