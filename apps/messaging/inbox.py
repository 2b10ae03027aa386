"""What the inbox pages read and do: open conversations across leads, the operator's unread
badge, one lead's thread, and the small writes of the inbox (read, close, reopen, take it).

Every read is scoped to the tenant; a conversation of another tenant is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q, Sum

from apps.core.errors import ObjectNotFound
from apps.leads import services as lead_services
from apps.messaging.models import Conversation, ConversationStatus, Message

PAGE_SIZE = 25
THREAD_LIMIT = 200  # the newest messages shown on the lead page


@dataclass(frozen=True)
class InboxFilters:
    channel_kind: str = ""  # "" = every channel
    assignee: str = ""  # "" = anyone, "me", "none" (unassigned) or a user id
    status: str = ConversationStatus.OPEN


def conversation_list(tenant, filters: InboxFilters, *, user):
    """The tenant's conversations in `filters.status`, newest message first."""
    conversations = (
        Conversation.objects.for_tenant(tenant)
        .filter(status=filters.status, last_message_at__isnull=False)
        .select_related("lead", "lead__assigned_to", "channel")
        .order_by("-last_message_at", "-id")
    )
    if filters.channel_kind == "webchat":  # the web chat has no Channel row
        conversations = conversations.filter(channel__isnull=True)
    elif filters.channel_kind:
        conversations = conversations.filter(channel__kind=filters.channel_kind)
    if filters.assignee == "me":
        conversations = conversations.filter(lead__assigned_to=user)
    elif filters.assignee == "none":
        conversations = conversations.filter(lead__assigned_to__isnull=True)
    elif filters.assignee.isdigit():
        conversations = conversations.filter(lead__assigned_to_id=int(filters.assignee))
    return conversations


def conversation_page(tenant, filters: InboxFilters, *, user, page) -> Page:
    return Paginator(conversation_list(tenant, filters, user=user), PAGE_SIZE).get_page(page)


def unread_total(tenant, user) -> int:
    """Unread inbound messages in open conversations of the user's leads and unassigned ones:
    the sidebar badge."""
    total = (
        Conversation.objects.for_tenant(tenant)
        .filter(status=ConversationStatus.OPEN, unread_count__gt=0)
        .filter(Q(lead__assigned_to=user) | Q(lead__assigned_to__isnull=True))
        .aggregate(total=Sum("unread_count"))["total"]
    )
    return total or 0


def conversation_get(tenant, conversation_id) -> Conversation:
    try:
        return (
            Conversation.objects.for_tenant(tenant)
            .select_related("lead", "channel")
            .get(pk=int(conversation_id))
        )
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


def lead_conversation(tenant, lead) -> Conversation | None:
    return Conversation.objects.for_tenant(tenant).filter(lead=lead).first()


def thread(tenant, lead) -> list[Message]:
    """The lead's messages, oldest first (the newest THREAD_LIMIT of them)."""
    newest = (
        Message.objects.for_tenant(tenant)
        .filter(lead=lead)
        .select_related("author", "channel")
        .order_by("-created_at", "-id")[:THREAD_LIMIT]
    )
    return list(reversed(newest))


def message_get(tenant, lead, message_id) -> Message:
    try:
        return Message.objects.for_tenant(tenant).get(pk=int(message_id), lead=lead)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


# --- writes -----------------------------------------------------------------------------------


def conversation_mark_read(conversation: Conversation) -> None:
    """The operator has seen the conversation: its unread count drops to zero."""
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0


def conversation_set_status(conversation: Conversation, status: str) -> Conversation:
    """Close a conversation (it leaves the inbox) or reopen it; a new inbound message reopens
    it too (messaging's inbound path)."""
    Conversation.objects.filter(pk=conversation.pk).update(status=status)
    conversation.status = status
    return conversation


@transaction.atomic
def conversation_take(*, tenant, actor, conversation: Conversation) -> None:
    """ "Assign to me": the conversation's lead is assigned to the actor (timeline noted by
    the leads service)."""
    lead_services.lead_update(
        tenant=tenant,
        actor=actor,
        lead_id=conversation.lead_id,
        changes={"assigned_to": actor.pk},
    )
