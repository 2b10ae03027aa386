"""What a provider's callback carried, stored on the messaging queue: inbound messages (find
or create the lead, append to its conversation, opt-outs) and delivery statuses.

Replays store one message: the provider's message id is unique per channel and direction.
Over a hard lead quota the message is still stored and its new lead is held (apps/messaging/
held.py); an existing lead is never refused (a merge is not a new lead).
"""

from __future__ import annotations

import hashlib

import structlog
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.channels.models import Channel
from apps.core.events import emit
from apps.leads.identity import identity_key, person_key
from apps.leads.ingestion.service import CREATED, MERGED, ingest_leads
from apps.leads.models import Lead, Source, TimelineEntry, TimelineKind
from apps.leads.widget_hooks import submissions_refused
from apps.messaging.addresses import lead_by_address, normalize, remember_address
from apps.messaging.conversations import conversation_for
from apps.messaging.events import MessageReceived
from apps.messaging.models import (
    AddressKind,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageStatus,
)
from apps.messaging.suppression import is_opt_out, suppress

logger = structlog.get_logger("fastlead.messaging")

PREVIEW = 200
SOURCES = {
    AddressKind.EMAIL: Source.EMAIL,
    AddressKind.SMS: Source.SMS,
    AddressKind.TELEGRAM: Source.TELEGRAM,
    AddressKind.WHATSAPP: Source.WHATSAPP,
}
# Provider status words → ours; a status only moves forward (failed never undoes delivered).
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.SENT: 2,
    MessageStatus.FAILED: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 5,
}
TIMESTAMP_FIELD = {
    MessageStatus.SENT: "sent_at",
    MessageStatus.DELIVERED: "delivered_at",
    MessageStatus.READ: "read_at",
    MessageStatus.FAILED: "failed_at",
}


def webhook_process(tenant, channel_id: int, payload: dict) -> dict:
    """Store a parsed callback: {"inbound": [...], "statuses": [...]}; returns counts and the
    statuses that named no message yet (the send may not have stored its id)."""
    channel = Channel.objects.for_tenant(tenant).filter(pk=channel_id).first()
    if channel is None:
        return {"stored": 0, "duplicates": 0, "statuses": 0, "unmatched": []}
    stored = duplicates = 0
    # A company that takes no submissions (closed: read-only for its last 30 days) stores no
    # new messages or leads either; the provider still gets its 2xx, so it does not retry.
    inbound = [] if submissions_refused(tenant.pk) else payload.get("inbound") or []
    for item in inbound:
        if inbound_store(tenant, channel, item) is None:
            duplicates += 1
        else:
            stored += 1
    unmatched = [s for s in payload.get("statuses") or [] if not status_apply(tenant, channel, s)]
    return {
        "stored": stored,
        "duplicates": duplicates,
        "statuses": len(payload.get("statuses") or []) - len(unmatched),
        "unmatched": unmatched,
    }


def inbound_store(tenant, channel: Channel, item: dict) -> Message | None:
    """One inbound message; None when it was stored before (a replay)."""
    kind = channel.kind
    address = normalize(kind, str(item.get("sender") or "")) or str(item.get("sender") or "")
    text = str(item.get("text") or "")
    provider_id = str(item.get("provider_message_id") or "")[:200] or _digest(address, text, item)
    if _seen(channel, provider_id):
        return None
    now = timezone.now()
    with transaction.atomic():
        lead = _lead_for(tenant, kind, address, str(item.get("sender_name") or ""))
        remember_address(tenant, lead, kind, address)
        conversation = conversation_for(tenant, lead)
        message = Message(
            tenant=tenant,
            conversation=conversation,
            lead=lead,
            direction=Direction.IN,
            channel=channel,
            channel_kind=kind,
            address=address[:254],
            subject=str(item.get("subject") or "")[:300],
            body=text,
            provider_message_id=provider_id,
            status=MessageStatus.RECEIVED,
            idempotency_key=f"in:{channel.pk}:{provider_id}"[:200],
            source="provider",
            created_at=now,
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # the same callback processed concurrently
            return None
        Conversation.objects.filter(pk=conversation.pk).update(
            channel=channel,
            status=ConversationStatus.OPEN,
            last_message_at=now,
            last_message_preview=text[:PREVIEW],
            unread_count=F("unread_count") + 1,
        )
        TimelineEntry.objects.create(
            tenant=tenant,
            lead=lead,
            kind=TimelineKind.MESSAGE_IN,
            body=text,
            data={"message_id": message.pk, "channel": kind},
            created_at=now,
        )
        if is_opt_out(text):
            suppress(tenant, kind, address, message=message)
        emit(  # operators are told (apps/messaging/notifications.py)
            MessageReceived(
                tenant_id=str(tenant.pk), lead_id=lead.pk, message_id=message.pk, channel_kind=kind
            )
        )
    logger.info("message.received", message_id=message.pk, channel_id=channel.pk)
    return message


def _seen(channel: Channel, provider_id: str) -> bool:
    return (
        Message.objects.unscoped()
        .filter(channel=channel, direction=Direction.IN, provider_message_id=provider_id)
        .exists()
    )


def _digest(address: str, text: str, item: dict) -> str:
    raw = f"{address}\n{text}\n{item.get('sent_at', '')}".encode()
    return "h:" + hashlib.sha256(raw).hexdigest()[:40]


def _lead_for(tenant, kind: str, address: str, name: str) -> Lead:
    """The lead this address belongs to: a stored address, else through ingestion (identity
    merge, quota, timeline), else — over a hard quota — a held lead."""
    found = lead_by_address(tenant, kind, address)
    if found is not None:
        return found
    item = {"name": name[:200], "source": SOURCES[kind]}
    if kind == AddressKind.EMAIL:
        item["email"] = address
    elif kind == AddressKind.SMS:
        item["phone"] = address
    elif kind == AddressKind.WHATSAPP:
        item["phone"] = "+" + address
    else:
        item["lead_id"] = f"{kind}:{address}"[:128]
    outcome = ingest_leads(tenant=tenant, items=[item], source=SOURCES[kind])
    result = outcome.results[0]
    if result.status in (CREATED, MERGED):
        return Lead.objects.for_tenant(tenant).get(pk=result.lead_id)
    if outcome.quota_error is None:  # an address ingestion refuses: keep the person anyway
        item = {"name": item["name"], "lead_id": f"{kind}:{address}"[:128]}
    return _held_lead(tenant, kind, item)


def _held_lead(tenant, kind: str, item: dict) -> Lead:
    """A lead over the hard quota: stored, hidden and not counted until released."""
    email, phone = item.get("email", ""), normalize(AddressKind.SMS, item.get("phone", ""))
    person = person_key(email=email, phone=phone, lead_ref=item.get("lead_id", ""))
    key = identity_key(person=person, customer_id=None, product_id=None)
    existing = Lead.objects.for_tenant(tenant).filter(identity_key=key).first()
    if existing is not None:
        return existing
    lead = Lead.objects.create(
        tenant=tenant,
        person_key=person,
        identity_key=key,
        external_id="",
        name=item.get("name", ""),
        email=email,
        phone=phone,
        source=SOURCES[kind],
        held=True,
    )
    TimelineEntry.objects.create(tenant=tenant, lead=lead, kind=TimelineKind.CREATED)
    return lead


def status_apply(tenant, channel: Channel, item: dict) -> bool:
    """A delivery status; False when no message of the channel has that provider id yet.
    A bounce, complaint or unsubscribe the provider reports also suppresses the address.
    Applying the same status twice changes nothing (its time is the first one's)."""
    provider_id = str(item.get("provider_message_id") or "")
    status = str(item.get("status") or "")
    if item.get("suppress") and item.get("address"):
        suppress(tenant, channel.kind, str(item["address"]), reason=str(item["suppress"]))
    if not provider_id or status not in TIMESTAMP_FIELD:
        return True  # nothing to apply (a status we do not track)
    with transaction.atomic():
        message = (
            Message.objects.for_tenant(tenant)
            .select_for_update()
            .filter(channel=channel, direction=Direction.OUT, provider_message_id=provider_id)
            .first()
        )
        if message is None:
            return False
        stamp = TIMESTAMP_FIELD[status]
        fields = {} if getattr(message, stamp) else {stamp: timezone.now()}
        if STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.status, 0):
            fields["status"] = status
            if status == MessageStatus.FAILED:
                fields["error"] = str(item.get("error") or "")[:500]
        if fields:
            Message.objects.filter(pk=message.pk).update(**fields)
    return True
