"""What the inbox and lead pages (and the API) do with conversations: reply, resend, mark read,
close/reopen, assign. Reads are in selectors.py; sending goes through outbox.queue_message."""

from __future__ import annotations

import uuid

from django.db import transaction

from apps.channels.selectors import channel_get
from apps.leads.services import lead_update
from apps.messaging.models import Conversation, ConversationStatus, Direction, Message
from apps.messaging.outbox import queue_message, schedule_send
from apps.messaging.selectors import message_get
from apps.messaging.sending import message_resend


def operator_reply(
    *,
    tenant,
    lead,
    author,
    body: str,
    subject: str = "",
    channel_id: int | None = None,
    in_reply_to_id: int | None = None,
    idempotency_key: str = "",
    template: dict | None = None,
) -> Message:
    """An operator's message to a lead (the lead page's reply box, the API). The client's
    idempotency key makes a double submit one message; without one each call is new."""
    channel = channel_get(tenant, channel_id) if channel_id else None
    in_reply_to = None
    if in_reply_to_id:
        in_reply_to = message_get(tenant, in_reply_to_id)
        if in_reply_to.lead_id != lead.pk or in_reply_to.direction != Direction.IN:
            in_reply_to = None
    key = f"op:{idempotency_key}" if idempotency_key else f"op:{uuid.uuid4().hex}"
    return queue_message(
        tenant=tenant,
        lead=lead,
        body=body,
        subject=subject,
        channel=channel,
        author=author,
        source="operator",
        idempotency_key=key,
        in_reply_to=in_reply_to,
        template=template,
    )


def message_resend_request(tenant, message: Message) -> Message:
    """Send an `unknown` or `failed` message again (the operator decided it did not arrive)."""
    with transaction.atomic():
        message = message_resend(message)
        schedule_send(tenant, message)
    return message


def conversation_mark_read(conversation: Conversation) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
    conversation.unread_count = 0
    return conversation


def conversation_set_status(conversation: Conversation, status: str) -> Conversation:
    """Close (done for now) or reopen; a new inbound message reopens it by itself."""
    Conversation.objects.filter(pk=conversation.pk).update(status=status)
    conversation.status = status
    if status == ConversationStatus.CLOSED:
        conversation_mark_read(conversation)
    return conversation


def conversation_assign(*, tenant, actor, conversation: Conversation, user_id) -> Conversation:
    """Assign the conversation's lead (None: unassign); recorded on the lead's timeline."""
    conversation.lead = lead_update(
        tenant=tenant, actor=actor, lead_id=conversation.lead_id, changes={"assigned_to": user_id}
    )
    return conversation
