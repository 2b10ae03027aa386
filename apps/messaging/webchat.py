"""Web chat: the widget's visitor talks to the operators, across page loads.

The visitor holds a signed token (in the site's localStorage) naming the tenant and a random
visitor id; the visitor id is the lead's address of kind "webchat". The first message creates
the lead through the normal ingestion path (source web chat, the visitor id as its lead id);
later ones append to its conversation. Operator replies in web chat are stored as sent and
become "delivered" when the visitor's widget fetches them (there is no provider in between).

A visitor sees only the web chat messages of their own visitor id, never the rest of the lead's
conversation (a lead merged by e-mail with someone else's must not leak it).
"""

from __future__ import annotations

import uuid
from datetime import UTC

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed
from apps.core.events import emit
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead, Source, TimelineEntry, TimelineKind
from apps.messaging.addresses import lead_by_address, remember_address
from apps.messaging.conversations import conversation_for
from apps.messaging.events import MessageReceived
from apps.messaging.models import Conversation, ConversationStatus, Direction, Message
from apps.messaging.models import MessageStatus as Status

KIND = "webchat"
MAX_LENGTH = 2000
PREVIEW = 200
POLL_LIMIT = 100
TOKEN_SALT = "fastlead.webchat.visitor"


def visitor_token(tenant_id: str, visitor: str) -> str:
    return signing.dumps({"t": str(tenant_id), "v": visitor}, salt=TOKEN_SALT, compress=True)


def visitor_from_token(tenant_id: str, token: str) -> str | None:
    """The visitor id of a token issued for this tenant, else None (forged, other tenant)."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("t") != str(tenant_id):
        return None
    visitor = data.get("v")
    return visitor if isinstance(visitor, str) and visitor else None


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write a message."), fields={"text": [_("Write a message.")]})
    if len(body) > MAX_LENGTH:
        raise ValidationFailed(
            _("The message is too long for this channel: at most %(limit)s characters.")
            % {"limit": MAX_LENGTH},
            fields={"text": [_("At most %(limit)s characters.") % {"limit": MAX_LENGTH}]},
        )
    return body


def _new_lead(tenant, visitor: str, name: str, page_url: str, entitlements=None) -> Lead | None:
    item = {"lead_id": f"webchat-{visitor}", "name": name, "source": Source.WEB_CHAT.value}
    outcome = ingest_leads(
        tenant=tenant,
        items=[item],
        source=Source.WEB_CHAT.value,
        consent_source=page_url or "web chat",
        entitlements=entitlements,
    )
    if outcome.quota_error is not None or outcome.results[0].status == "rejected":
        return None
    return Lead.objects.for_tenant(tenant).get(pk=outcome.results[0].lead_id)


def visitor_post(
    tenant,
    *,
    token: str,
    text: str,
    client_id: str,
    name: str = "",
    page_url: str = "",
    entitlements=None,
) -> tuple[str, Message | None]:
    """Store the visitor's message; (the visitor's token, the message or None when the lead
    could not be created). `client_id` (the widget's id for this message) makes retries
    store it once."""
    body = _clean_body(text)
    visitor = visitor_from_token(tenant.pk, token) or uuid.uuid4().hex
    token = visitor_token(tenant.pk, visitor)
    lead = lead_by_address(tenant, KIND, visitor)
    if lead is None:
        lead = _new_lead(tenant, visitor, name.strip()[:200], page_url, entitlements)
        if lead is None:
            return token, None
        remember_address(tenant, lead, KIND, visitor)
    key = f"webchat:{tenant.pk}:{visitor}:{(client_id or uuid.uuid4().hex)[:64]}"
    existing = Message.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if existing is not None:
        return token, existing
    with transaction.atomic():
        message = _store(
            tenant, lead, Direction.IN, visitor, body, key,
            status=Status.RECEIVED, source="visitor",
        )  # fmt: skip
        emit(
            MessageReceived(
                tenant_id=str(tenant.pk), lead_id=lead.pk, message_id=message.pk, channel_kind=KIND
            )
        )
    return token, message


def visitor_messages(tenant, token: str, after: int = 0) -> list[Message]:
    """The visitor's chat after message id `after`, oldest first; operator replies handed
    over here become delivered."""
    visitor = visitor_from_token(tenant.pk, token)
    if visitor is None:
        return []
    messages = list(
        Message.objects.for_tenant(tenant)
        .filter(channel_kind=KIND, address=visitor, pk__gt=max(int(after), 0))
        .order_by("id")[:POLL_LIMIT]
    )
    handed = [m.pk for m in messages if m.direction == Direction.OUT and m.status == Status.SENT]
    if handed:
        Message.objects.filter(pk__in=handed, status=Status.SENT).update(
            status=Status.DELIVERED, delivered_at=timezone.now()
        )
    return messages


def webchat_address(tenant, lead) -> str:
    """The visitor id the lead last chatted from ("" when it never used the web chat)."""
    return (
        Message.objects.for_tenant(tenant)
        .filter(lead=lead, channel_kind=KIND, direction=Direction.IN)
        .order_by("-id")
        .values_list("address", flat=True)
        .first()
        or ""
    )


def webchat_reply(tenant, lead, *, author, body: str, idempotency_key: str) -> Message:
    """The operator's answer in the web chat: stored as sent (the widget fetches it)."""
    body = _clean_body(body)
    visitor = webchat_address(tenant, lead)
    if not visitor:
        raise ValidationFailed(_("This lead has no address in this channel."), code="no_address")
    existing = Message.objects.for_tenant(tenant).filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        message = _store(
            tenant, lead, Direction.OUT, visitor, body, idempotency_key[:200],
            status=Status.SENT, source="operator", author=author,
        )  # fmt: skip
        Lead.objects.filter(pk=lead.pk, first_contact_at__isnull=True).update(
            first_contact_at=message.created_at
        )
    return message


def _store(tenant, lead, direction, visitor, body, key, *, author=None, **fields) -> Message:
    """The message, its conversation's summary and the lead's timeline entry (in the
    caller's transaction)."""
    now = timezone.now()
    conversation = conversation_for(tenant, lead)
    inbound = direction == Direction.IN
    message = Message.objects.create(
        tenant=tenant, conversation=conversation, lead=lead, direction=direction,
        channel_kind=KIND, address=visitor, body=body, idempotency_key=key, author=author,
        created_at=now, sent_at=None if inbound else now, **fields,
    )  # fmt: skip
    summary = {"last_message_at": now, "last_message_preview": body[:PREVIEW]}
    if inbound:
        summary.update(status=ConversationStatus.OPEN, unread_count=F("unread_count") + 1)
    Conversation.objects.filter(pk=conversation.pk).update(**summary)
    data = {"message_id": message.pk, "channel": KIND}
    TimelineEntry.objects.create(
        tenant=tenant, lead=lead, actor=author, body=body, created_at=now, data=data,
        kind=TimelineKind.MESSAGE_IN if inbound else TimelineKind.MESSAGE_OUT,
    )  # fmt: skip
    return message


def as_json(message: Message) -> dict:
    return {
        "id": message.pk,
        "from": "visitor" if message.direction == Direction.IN else "operator",
        "text": message.body,
        "at": message.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
