"""Send one queued message through its channel's provider, exactly once or visibly unknown.

The row is claimed first (`queued` → `sending`, under a row lock), so two workers given the
same message never both call the provider. Failures that did not reach the provider (refused
connection, 429, 5xx) are retried with the one retry policy (apps/core/retry.py) and, when
that budget is spent, the message is queued again a little later. A failure after the request
may have reached the provider (a timeout waiting for the answer, a dropped connection) marks
the message `unknown` — never re-sent automatically unless the provider deduplicates by our
idempotency key; a worker that died mid-send leaves `sending`, which a later look (the
redelivered task or the recovery beat) turns into `unknown`. The operator may resend those.
"""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import structlog
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.channels.models import Channel
from apps.channels.providers.base import OutboundMessage, ProviderError
from apps.channels.services import adapter_for
from apps.core.retry import RetryPolicy, call_with_retry
from apps.leads.models import Lead
from apps.messaging.channel_alerts import channel_auth_failed
from apps.messaging.errors import MessagingError, NotResendable
from apps.messaging.models import Direction, Message, MessageStatus
from apps.messaging.policy import ensure_may_send

logger = structlog.get_logger("fastlead.messaging")

RETRY_POLICY = RetryPolicy(max_attempts=4, max_seconds=60.0, base_delay=1.0, max_delay=20.0)
# After the in-task retries are spent the message goes back to the queue this much later;
# `Message.attempts` counts the rounds, then it fails for good.
REQUEUE_SECONDS = (60, 300, 1800)
# Longer than any send can take (a task is killed at CELERY_TASK_TIME_LIMIT): a message still
# `sending` after this was left by a dead worker.
SEND_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)

SENT, FAILED, UNKNOWN, REQUEUED = "sent", "failed", "unknown", "requeued"
BUSY, DONE, MISSING = "busy", "done", "missing"


class _OutcomeUnknown(Exception):
    def __init__(self, error: ProviderError):
        super().__init__(error.message)
        self.error = error


def status_callback_url(channel: Channel) -> str:
    return settings.SITE_URL + reverse(
        "messaging_webhooks:channel", args=[channel.kind, channel.webhook_token]
    )


def message_send(
    tenant,
    message_id: int,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep=time.sleep,
) -> tuple[str, int | None]:
    """Claim and send; returns (outcome, seconds after which the task should come back)."""
    claimed = _claim(tenant, message_id)
    if isinstance(claimed, str):
        return claimed, (int(SEND_LEASE.total_seconds()) if claimed == BUSY else None)
    message = claimed
    channel = message.channel
    if channel is None or not channel.enabled:
        _finish(message, MessageStatus.FAILED, error=_("The channel was disabled or removed."))
        return FAILED, None
    try:
        ensure_may_send(
            tenant,
            message.lead,
            message.channel_kind,
            message.address,
            marketing=message.marketing,
            in_reply_to=message.in_reply_to,
            template=bool(message.template),
        )
    except MessagingError as exc:
        _finish(message, MessageStatus.FAILED, error=exc.message)
        return FAILED, None
    adapter = adapter_for(channel, transport=transport)
    outbound = OutboundMessage(
        to=message.address,
        text=message.body,
        subject=message.subject,
        idempotency_key=f"fastlead-{message.tenant_id}-{message.pk}",
        callback_url=status_callback_url(channel),
        template=message.template or None,
    )

    def attempt():
        try:
            return adapter.send(outbound)
        except ProviderError as exc:
            if exc.maybe_sent and not adapter.accepts_idempotency_key:
                raise _OutcomeUnknown(exc) from None
            raise

    try:
        result = call_with_retry(attempt, RETRY_POLICY, sleep=sleep)
    except _OutcomeUnknown as exc:
        _finish(message, MessageStatus.UNKNOWN, error=exc.error.message)
        return UNKNOWN, None
    except ProviderError as exc:
        return _failed(tenant, message, channel, exc)
    now = timezone.now()
    if result.status == MessageStatus.DELIVERED:  # the provider's acceptance is delivery
        _finish(
            message,
            MessageStatus.DELIVERED,
            provider_message_id=result.provider_message_id[:200],
            sent_at=now,
            delivered_at=now,
        )
    else:
        _finish(
            message,
            MessageStatus.SENT,
            provider_message_id=result.provider_message_id[:200],
            sent_at=now,
        )
    Lead.objects.filter(pk=message.lead_id, first_contact_at__isnull=True).update(
        first_contact_at=message.created_at
    )
    return SENT, None


def _claim(tenant, message_id: int) -> Message | str:
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.for_tenant(tenant)
            .select_for_update()
            .filter(pk=message_id, direction=Direction.OUT)
            .first()
        )
        if message is None:
            return MISSING
        if message.status == MessageStatus.SENDING:
            if message.sending_at and now - message.sending_at < SEND_LEASE:
                return BUSY  # another worker is on it (or died just now: look again later)
            _mark_abandoned(Message.objects.filter(pk=message.pk))
            return UNKNOWN
        if message.status != MessageStatus.QUEUED:
            return DONE
        message.status, message.sending_at = MessageStatus.SENDING, now
        message.attempts += 1
        message.save(update_fields=["status", "sending_at", "attempts"])
    return message


def _mark_abandoned(queryset) -> int:
    return queryset.filter(status=MessageStatus.SENDING).update(
        status=MessageStatus.UNKNOWN,
        error=_("Sending was interrupted: the provider may or may not have the message."),
    )


def messages_recover_abandoned() -> int:
    """`sending` rows older than the lease were left by dead workers: mark them unknown."""
    cutoff = timezone.now() - SEND_LEASE
    return _mark_abandoned(Message.objects.unscoped().filter(sending_at__lt=cutoff))


def _failed(tenant, message: Message, channel: Channel, exc: ProviderError):
    if exc.unauthorized:
        _finish(message, MessageStatus.FAILED, error=exc.message)
        channel_auth_failed(tenant, channel, exc.message)
        return FAILED, None
    if not exc.permanent and message.attempts <= len(REQUEUE_SECONDS):
        delay = REQUEUE_SECONDS[message.attempts - 1]
        _finish(message, MessageStatus.QUEUED, error=exc.message)
        return REQUEUED, max(delay, int(exc.retry_after or 0))
    _finish(message, MessageStatus.FAILED, error=exc.message)
    return FAILED, None


def _finish(message: Message, status: str, *, error: str = "", **fields) -> None:
    now = timezone.now()
    if status == MessageStatus.FAILED:
        fields["failed_at"] = now
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=status, error=error[:500], **fields
    )
    logger.info(
        "message.send",
        message_id=message.pk,
        channel_id=message.channel_id,
        status=status if updated else "lost_claim",
    )


def message_resend(message: Message) -> Message:
    """The operator's resend of an `unknown` or `failed` message: queued again, same row."""
    updated = Message.objects.filter(
        pk=message.pk,
        direction=Direction.OUT,
        status__in=(MessageStatus.UNKNOWN, MessageStatus.FAILED),
    ).update(status=MessageStatus.QUEUED, error="", failed_at=None, attempts=0)
    if not updated:
        raise NotResendable()
    message.refresh_from_db()
    return message
