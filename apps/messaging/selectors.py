"""Scoped reads of conversations and messages (the inbox and lead pages, the API)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.channels.models import Channel, ChannelStatus
from apps.core.errors import ObjectNotFound
from apps.messaging.models import Conversation, ConversationStatus, Message


def channels_failing(tenant) -> QuerySet:
    """Channels a provider switched off (credentials refused on a real send): the banner
    "channel X is off — enter new keys" on the dashboard pages."""
    return (
        Channel.objects.for_tenant(tenant)
        .filter(status=ChannelStatus.ERROR, enabled=False)
        .order_by("name", "id")
    )


def conversation_list(tenant, filters: dict | None = None) -> QuerySet:
    """The inbox: newest first, with the lead (and its assignee) and unread counts.

    filters: status ("open" default, "closed", "all"), channel (id), assignee (user id, or
    "me" with `user`, or "none"), unread (True: only with unread messages), user.
    """
    filters = filters or {}
    query = (
        Conversation.objects.for_tenant(tenant)
        .filter(lead__held=False)
        .select_related("lead", "lead__assigned_to", "channel")
    )
    status = filters.get("status") or ConversationStatus.OPEN
    if status != "all":
        query = query.filter(status=status)
    if filters.get("channel"):
        query = query.filter(channel_id=filters["channel"])
    assignee = filters.get("assignee")
    if assignee == "none":
        query = query.filter(lead__assigned_to__isnull=True)
    elif assignee == "me" and filters.get("user") is not None:
        query = query.filter(lead__assigned_to=filters["user"])
    elif assignee not in (None, "", "me"):
        query = query.filter(lead__assigned_to_id=assignee)
    if filters.get("unread"):
        query = query.filter(unread_count__gt=0)
    return query.order_by("-last_message_at", "-id")


def conversation_get(tenant, conversation_id) -> Conversation:
    try:
        return (
            Conversation.objects.for_tenant(tenant)
            .select_related("lead", "lead__assigned_to", "channel")
            .get(pk=int(conversation_id))
        )
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


def conversation_for_lead(tenant, lead) -> Conversation | None:
    return Conversation.objects.for_tenant(tenant).filter(lead=lead).first()


def message_list(tenant, lead) -> QuerySet:
    """A lead's whole conversation, oldest first (both directions)."""
    return (
        Message.objects.for_tenant(tenant)
        .filter(lead=lead)
        .select_related("channel", "author")
        .order_by("created_at", "id")
    )


def message_get(tenant, message_id) -> Message:
    try:
        return (
            Message.objects.for_tenant(tenant)
            .select_related("lead", "channel", "conversation")
            .get(pk=int(message_id))
        )
    except (Message.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


def unread_total(tenant, user=None) -> int:
    """Unread inbound messages across open conversations (the in-app badge); with `user`,
    only of the leads assigned to them."""
    query = Conversation.objects.for_tenant(tenant).filter(
        status=ConversationStatus.OPEN, unread_count__gt=0, lead__held=False
    )
    if user is not None:
        query = query.filter(lead__assigned_to=user)
    return sum(query.values_list("unread_count", flat=True))
