"""Where messaging keeps a person's data (apps/core/personal_data.py) and how long a company
keeps its conversations (retention "conversations"), registered from apps/messaging/wiring.py."""

from __future__ import annotations

from apps.core.personal_data import (
    BLANK,
    ERASED_JSON,
    REDACT,
    FoundByAddress,
    PersonalData,
    Retention,
    register_personal_data,
    register_retention,
)
from apps.messaging.models import Conversation, LeadAddress, Message, Suppression
from apps.messaging.rules.models import Decision, Event

ENTRIES = (
    PersonalData(
        "messaging.conversation",
        model=Conversation,
        lead="lead",
        label="Conversation",
        fields={"last_message_preview": REDACT},
        context_fields=("id", "created_at", "status", "last_message_at"),
    ),
    PersonalData(
        "messaging.message",
        model=Message,
        lead="lead",
        label="Messages",
        fields={"address": REDACT, "subject": REDACT, "body": REDACT, "error": BLANK},
        context_fields=("id", "created_at", "direction", "channel_kind", "status"),
    ),
    PersonalData(
        "messaging.leadaddress",
        model=LeadAddress,
        lead="lead",
        label="Addresses",
        fields={"value": REDACT},
        context_fields=("id", "kind"),
        identifier_fields=("value",),
        erase="delete",
    ),
    PersonalData(
        "messaging.suppression",
        model=Suppression,
        # Suppressions name an address, not a lead: found by the person's addresses.
        find=FoundByAddress(Suppression, ("value",)),
        label="Suppressed addresses",
        fields={"value": REDACT},
        context_fields=("id", "kind", "reason", "created_at"),
        erase="delete",
    ),
    PersonalData(
        "messaging_rules.event",
        model=Event,
        lead="lead",
        label="Events",
        fields={"subject": REDACT, "properties": ERASED_JSON},
        context_fields=("id", "event_type", "occurred_at"),
    ),
    PersonalData(
        "messaging_rules.decision",
        model=Decision,
        lead="lead",
        label="Rule decisions",
        fields={"subject": REDACT, "details": ERASED_JSON},
        context_fields=("id", "outcome", "created_at"),
    ),
)

RETENTION = (
    Retention("conversations", model=Message, date_field="created_at"),
    Retention(
        "conversations",
        model=Conversation,
        date_field="last_message_at",
        key="messaging.conversation:conversations",
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
    register_retention(*RETENTION)
