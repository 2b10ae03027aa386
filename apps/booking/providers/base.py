"""The one interface of a calendar (DESIGN.md, "Providers"): the slots of a day, a booking
made and cancelled, a connection test. Dataclasses in and out; vendor objects stay inside."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from apps.booking.slots import Slot


class SlotUnavailable(Exception):
    """The calendar refused the start: taken meanwhile, or not a start it offers."""


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    time_zone: str
    language: str = "ru"


@dataclass(frozen=True)
class Booked:
    starts_at: datetime
    ends_at: datetime
    external_id: str = ""
    raw: dict = field(default_factory=dict)


class Calendar(ABC):
    kind: ClassVar[str]
    # Capabilities: a remote calendar checks its own availability and needs a key; one that
    # sends its own invitations needs no .ics from us.
    remote: ClassVar[bool] = False
    sends_invites: ClassVar[bool] = False

    @abstractmethod
    def slots(
        self, day: date, *, now: datetime, busy: Iterable[tuple[datetime, datetime]]
    ) -> list[Slot]:
        """The free starts of `day` (the tenant's local date), UTC."""

    @abstractmethod
    def book(self, starts_at: datetime, attendee: Attendee, *, metadata: dict) -> Booked:
        """Reserve the start; raises SlotUnavailable when the calendar refuses it."""

    @abstractmethod
    def cancel(self, external_id: str, *, reason: str = "") -> None:
        """Release a booking on the calendar's side."""

    @abstractmethod
    def check(self) -> str:
        """A connection test: a short description of what answered, or ProviderError."""
