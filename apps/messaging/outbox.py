"""The outbox: the one way a message to a lead is sent (operator replies, rules, resends).

`queue_message` checks everything that can be known before the provider is called (an address
in the channel, the suppression list, marketing consent, WhatsApp's 24-hour window, the
provider's length limit), stores the outbound `Message` in the caller's transaction and queues
the send task after commit (apps/messaging/sending.py does the send). The same idempotency key
twice returns the stored message and queues nothing.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.channels.models import Channel, ChannelStatus
from apps.channels.providers import adapter_class
from apps.core.errors import ValidationFailed
from apps.leads.models import TimelineEntry, TimelineKind
from apps.messaging.addresses import lead_address
from apps.messaging.conversations import conversation_for
from apps.messaging.errors import NoAddress, NoChannel, TooLong, UnknownTemplate
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.messaging.policy import ensure_may_send
from apps.messaging.tasks import send_message_task

PREVIEW = 200


def queue_message(
    *,
    tenant,
    lead,
    body: str,
    subject: str = "",
    channel=None,
    marketing: bool = False,
    author=None,
    source: str = "operator",
    source_ref: str = "",
    idempotency_key: str,
    in_reply_to=None,
    template: dict | None = None,
) -> Message:
    """Store an outbound message and queue its send after the caller's transaction commits.

    Raises NoChannel / NoAddress / Suppressed(reason) / OutsideWhatsAppWindow / TooLong (all
    ValidationFailed, 400). `channel=None`: the channel the lead last wrote from, else the
    first connected channel that has an address for the lead.
    """
    if not idempotency_key:
        raise ValueError("queue_message needs an idempotency_key")
    existing = _existing(tenant, idempotency_key)
    if existing is not None:
        return existing
    body = (body or "").strip()
    if not body and not template:
        raise ValidationFailed(
            _("Write a message."), fields={"body": [_("This field is required.")]}
        )
    channel, address = _route(tenant, lead, channel)
    if template:
        template, body = _approved_template(channel, template)
    limit = adapter_class(channel.provider).max_length
    if len(body) > limit:
        raise TooLong(limit)
    ensure_may_send(
        tenant,
        lead,
        channel.kind,
        address,
        marketing=marketing,
        in_reply_to=in_reply_to,
        template=bool(template),
    )
    now = timezone.now()
    message = Message(
        tenant=tenant,
        lead=lead,
        direction=Direction.OUT,
        channel=channel,
        channel_kind=channel.kind,
        address=address,
        subject=subject[:300],
        body=body,
        status=MessageStatus.QUEUED,
        idempotency_key=idempotency_key[:200],
        author=author if getattr(author, "pk", None) else None,
        source=source[:32],
        source_ref=source_ref[:200],
        marketing=marketing,
        in_reply_to=in_reply_to,
        template=template or {},
        created_at=now,
    )
    with transaction.atomic():
        conversation = conversation_for(tenant, lead)
        message.conversation = conversation
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # the same key stored meanwhile by a concurrent call
            found = _existing(tenant, idempotency_key)
            if found is None:
                raise
            return found
        Conversation.objects.filter(pk=conversation.pk).update(
            channel=channel, last_message_at=now, last_message_preview=body[:PREVIEW]
        )
        TimelineEntry.objects.create(
            tenant=tenant,
            lead=lead,
            kind=TimelineKind.MESSAGE_OUT,
            actor=message.author,
            body=body,
            data={"message_id": message.pk, "channel": channel.kind, "source": source},
            created_at=now,
        )
    schedule_send(tenant, message)
    return message


def _approved_template(channel: Channel, chosen: dict) -> tuple[dict, str]:
    """The chosen template checked against the channel's approved ones, and its text with
    the values filled in (what the thread shows)."""
    found = channel.approved_template(str(chosen.get("name", "")), str(chosen.get("language", "")))
    if found is None:
        raise UnknownTemplate()
    values = [str(v).strip() for v in chosen.get("params") or []]
    if len(values) != len(found["params"]) or not all(values):
        raise UnknownTemplate(
            _("Fill in every parameter of the template: %(count)s.")
            % {"count": len(found["params"])},
            fields={"params": [_("Fill in every parameter.")]},
        )
    text = found["body"]
    for name, value in zip(found["params"], values, strict=True):
        pattern = r"\{\{\s*" + re.escape(name) + r"\s*\}\}"
        text = re.sub(pattern, lambda _m, v=value: v, text)
    stored = {
        "name": found["name"],
        "language": found["language"],
        "params": values,
        "named": found["params"] if found.get("named") else [],
    }
    return stored, text.strip() or found["name"]


def schedule_send(tenant, message: Message) -> None:
    tenant_id, message_id = str(tenant.pk), message.pk
    transaction.on_commit(lambda: send_message_task.delay(tenant_id, message_id))


def _existing(tenant, key: str) -> Message | None:
    return Message.objects.for_tenant(tenant).filter(idempotency_key=key[:200]).first()


def _route(tenant, lead, channel) -> tuple[Channel, str]:
    """The channel and the lead's address in it."""
    if channel is not None:
        if channel.tenant_id != tenant.pk or not channel.enabled:
            raise NoChannel(_("This channel is disabled."))
        address = lead_address(lead, channel.kind)
        if not address:
            raise NoAddress()
        return channel, address
    last_in = (
        Message.objects.for_tenant(tenant)
        .filter(lead=lead, direction=Direction.IN, channel__enabled=True)
        .select_related("channel")
        .order_by("-created_at", "-id")
        .first()
    )
    if last_in is not None:
        return last_in.channel, last_in.address
    candidates = list(
        Channel.objects.for_tenant(tenant)
        .filter(enabled=True, status=ChannelStatus.CONNECTED)
        .order_by("created_at", "id")
    )
    if not candidates:
        raise NoChannel()
    for candidate in candidates:
        address = lead_address(lead, candidate.kind)
        if address:
            return candidate, address
    raise NoAddress(_("This lead has no address in any connected channel."))
