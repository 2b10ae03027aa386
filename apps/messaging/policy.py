"""Whether a message may go to an address now: withdrawn consent to processing (apps/core/
personal_data.py), the suppression list (a direct reply to the person's own message excepted),
marketing consent, WhatsApp's 24-hour window. Checked when a
message is queued and again right before it is sent."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.core.personal_data import processing_refused
from apps.messaging.errors import OutsideWhatsAppWindow, Suppressed
from apps.messaging.models import AddressKind, Direction, Message
from apps.messaging.suppression import suppression_reason

WHATSAPP_WINDOW = timedelta(hours=24)


def ensure_may_send(
    tenant,
    lead,
    kind: str,
    address: str,
    *,
    marketing: bool = False,
    in_reply_to=None,
    template: bool = False,
    reason_of=None,
    window_open=None,
    refused: bool | None = None,
) -> None:
    """Suppressed / no consent / WhatsApp window (an approved template may go outside it),
    checked again right before each send. A batch (the outbox) passes what it loaded in
    bulk: `reason_of(kind, address)` (the suppression reason or "") and `window_open(lead)`,
    and `refused` (the lead withdrew consent to processing)."""
    # Withdrawn consent to processing (or an erased person): nothing goes, not even a reply.
    if refused if refused is not None else processing_refused(tenant.pk, [lead.pk]):
        raise Suppressed("consent_withdrawn")
    if not _is_direct_reply(lead, kind, address, in_reply_to):
        reason = (reason_of or (lambda k, a: suppression_reason(tenant, k, a)))(kind, address)
        if reason:
            raise Suppressed(reason)
    if marketing and not lead.consent_marketing:
        raise Suppressed("no_consent")
    if kind == AddressKind.WHATSAPP and not template:
        is_open = window_open(lead) if window_open else whatsapp_window_open(tenant, lead)
        if not is_open:
            raise OutsideWhatsAppWindow()


def _is_direct_reply(lead, kind: str, address: str, in_reply_to) -> bool:
    """A reply to the person's own message from this very address."""
    return (
        in_reply_to is not None
        and in_reply_to.direction == Direction.IN
        and in_reply_to.lead_id == lead.pk
        and in_reply_to.channel_kind == kind
        and in_reply_to.address == address
    )


def whatsapp_window_open(tenant, lead, *, now=None) -> bool:
    last = (
        Message.objects.for_tenant(tenant)
        .filter(lead=lead, direction=Direction.IN, channel_kind=AddressKind.WHATSAPP)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is not None and (now or timezone.now()) - last < WHATSAPP_WINDOW
