"""Celery entry points of booking."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.booking.invites import cancellation_send, invite_send
from apps.booking.models import Booking
from apps.core.tasks import MAIL_RETRY
from apps.tenants.tasking import tenant_task


@tenant_task(**MAIL_RETRY)
def send_booking_invite_task(tenant, booking_id: int) -> int:
    """E-mail the .ics invite once per start of the booking: claimed by a conditional update,
    so a re-delivered task sends nothing. The claim and the send share a transaction: a mail
    server that is down gives the claim back, and the task is retried."""
    with transaction.atomic():
        claimed = (
            Booking.objects.filter(pk=booking_id)
            .exclude(invited_for=F("starts_at"))
            .update(invited_for=F("starts_at"))
        )
        if not claimed:
            return 0
        booking = Booking.objects.select_related("tenant").get(pk=booking_id)
        return invite_send(booking)


@tenant_task(**MAIL_RETRY)
def send_booking_cancellation_task(tenant, booking_id: int) -> int:
    """E-mail the cancellation once: claimed by a conditional update, so a re-delivered task
    sends nothing; as with the invite, a failed send gives the claim back for the retry."""
    with transaction.atomic():
        claimed = Booking.objects.filter(pk=booking_id, cancel_sent_at__isnull=True).update(
            cancel_sent_at=timezone.now()
        )
        if not claimed:
            return 0
        booking = Booking.objects.select_related("tenant").get(pk=booking_id)
        return cancellation_send(booking)
