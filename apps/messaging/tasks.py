"""Celery entry points of messaging (thin: the work is in sending.py / inbound.py). All on the
`messaging` queue (settings.CELERY_TASK_ROUTES)."""

from __future__ import annotations

from celery import shared_task

from apps.messaging.inbound import webhook_process
from apps.messaging.sending import message_send, messages_recover_abandoned
from apps.tenants.tasking import tenant_task

UNMATCHED_STATUS_DELAY = 30  # seconds


@tenant_task(acks_late=True, ignore_result=True)
def send_message_task(tenant, message_id: int) -> str:
    """Send one outbound message. Safe to deliver twice: the row is claimed first."""
    outcome, come_back_in = message_send(tenant, message_id)
    if come_back_in is not None:
        send_message_task.apply_async((str(tenant.pk), message_id), countdown=come_back_in)
    return outcome


@tenant_task(acks_late=True, ignore_result=True)
def process_webhook_task(tenant, channel_id: int, payload: dict, late: bool = False) -> dict:
    """Store what a provider's callback carried (inbound messages, delivery statuses). A
    status naming no message yet (its send has not stored the provider's id) is looked at
    once more a little later."""
    outcome = webhook_process(tenant, channel_id, payload)
    if outcome["unmatched"] and not late:
        process_webhook_task.apply_async(
            (str(tenant.pk), channel_id, {"statuses": outcome["unmatched"]}, True),
            countdown=UNMATCHED_STATUS_DELAY,
        )
    return outcome


@shared_task(acks_late=True, ignore_result=True)
def recover_abandoned_sends_task() -> int:
    """Messages left `sending` by a dead worker become `unknown` (beat)."""
    return messages_recover_abandoned()
