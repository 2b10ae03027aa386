"""What messaging tells the apps above it (and its own notifications): emitted, subscribed in
an app's wiring.py."""

from dataclasses import dataclass
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class MessageReceived(DomainEvent):
    """A lead's inbound message was stored (any channel, the web chat included): operators are
    notified, rules may answer."""

    name: ClassVar[str] = "message_received"
    tenant_id: str
    lead_id: int
    message_id: int
    channel_kind: str
