"""What channels tells the apps above it (DESIGN.md, the layers): channels emits, messaging
subscribes in its wiring.py (e.g. points a Telegram bot at its webhook)."""

from dataclasses import dataclass
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ChannelConnected(DomainEvent):
    """A channel's test succeeded: its credentials work."""

    name: ClassVar[str] = "channel_connected"
    tenant_id: str
    channel_id: int
    provider: str
