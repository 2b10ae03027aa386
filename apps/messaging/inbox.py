"""What the inbox pages read: open conversations across leads (narrowed by channel kind), the
operator's unread badge, one lead's thread. Writes are messaging's services.

Every read is scoped to the tenant; a conversation of another tenant is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, Sum

from apps.core.errors import ObjectNotFound
from apps.messaging import selectors
from apps.messaging.models import ConversationStatus, Message

PAGE_SIZE = 25
THREAD_LIMIT = 200  # the newest messages shown on the lead page


@dataclass(frozen=True)
class InboxFilters:
    channel_kind: str = ""  # "" = every channel
    assignee: str = ""  # "" = anyone, "me", "none" (unassigned) or a user id
    status: str = ConversationStatus.OPEN


def conversation_list(tenant, filters: InboxFilters, *, user):
    """The tenant's conversations in `filters.status`, newest message first (messaging's
    inbox selector, narrowed to a channel kind; the web chat has no Channel row)."""
    conversations = selectors.conversation_list(
        tenant, {"status": filters.status, "assignee": filters.assignee, "user": user}
    ).filter(last_message_at__isnull=False)
    if filters.channel_kind == "webchat":
        conversations = conversations.filter(channel__isnull=True)
    elif filters.channel_kind:
        conversations = conversations.filter(channel__kind=filters.channel_kind)
    return conversations


def conversation_page(tenant, filters: InboxFilters, *, user, page) -> Page:
    return Paginator(conversation_list(tenant, filters, user=user), PAGE_SIZE).get_page(page)


def badge_count(tenant, user) -> int:
    """Unread inbound messages in open conversations of the user's leads and of unassigned
    ones (those are everybody's): the sidebar badge."""
    total = (
        selectors.conversation_list(tenant, {"status": ConversationStatus.OPEN})
        .filter(unread_count__gt=0)
        .filter(Q(lead__assigned_to=user) | Q(lead__assigned_to__isnull=True))
        .aggregate(total=Sum("unread_count"))["total"]
    )
    return total or 0


conversation_get = selectors.conversation_get
lead_conversation = selectors.conversation_for_lead


def thread(tenant, lead) -> list[Message]:
    """The lead's messages, oldest first (the newest THREAD_LIMIT of them)."""
    newest = selectors.message_list(tenant, lead).order_by("-created_at", "-id")[:THREAD_LIMIT]
    return list(reversed(newest))


def message_get(tenant, lead, message_id) -> Message:
    message = selectors.message_get(tenant, message_id)
    if message.lead_id != lead.pk:
        raise ObjectNotFound()
    return message
