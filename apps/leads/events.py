"""What leads tells the apps above it (DESIGN.md, the layers): leads emits, an upper app
subscribes in its wiring.py without leads naming it."""

from dataclasses import dataclass
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class CustomerActionsRecorded(DomainEvent):
    """Actions were added to leads of a customer: `months` (first days, ISO dates, UTC) are
    the calendar months they fall in. Pay-per-lead revalues those months."""

    name: ClassVar[str] = "customer_actions_recorded"
    tenant_id: str
    months: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LeadsCreated(DomainEvent):
    """New leads were stored (one event per ingestion call: a widget submission, an API batch,
    an import chunk). Merges into existing leads are not creations."""

    name: ClassVar[str] = "lead_created"
    tenant_id: str
    source: str
    lead_ids: tuple[int, ...]
    # When they were created, so that no subscriber re-reads the leads for it: the distinct
    # moments (ISO 8601, UTC) floored to the quarter hour (every time zone's offset is a
    # multiple of 15 minutes, so the local day is exact). Empty when there were more than
    # CREATED_AT_LISTED of them (an import of old leads): read the leads then.
    created_at: tuple[str, ...] = ()


CREATED_AT_LISTED = 100


@dataclass(frozen=True, kw_only=True)
class LeadsMerged(DomainEvent):
    """Submissions were merged into leads that already existed (the same person, customer and
    product): `lead_ids` are the existing leads that took them in."""

    name: ClassVar[str] = "lead_merged"
    tenant_id: str
    source: str
    lead_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class LeadsUpdated(DomainEvent):
    """Leads were changed by hand or in bulk (status, assignee, list, person fields); `fields`
    names what changed."""

    name: ClassVar[str] = "lead_updated"
    tenant_id: str
    lead_ids: tuple[int, ...]
    fields: tuple[str, ...]
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class LeadStatusChanged(DomainEvent):
    """Leads moved to `status` (by hand, in bulk or by a flow); `previous` maps each lead id to
    the status it left."""

    name: ClassVar[str] = "lead_status_changed"
    tenant_id: str
    status: str
    previous: tuple[tuple[int, str], ...]
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class MeetingBooked(DomainEvent):
    """A meeting with the lead was booked (built-in scheduler or Cal.com); the booking app
    emits it, the rules and analytics subscribe."""

    name: ClassVar[str] = "meeting_booked"
    tenant_id: str
    lead_id: int
    booking_id: str
    starts_at: str  # ISO 8601, UTC


@dataclass(frozen=True, kw_only=True)
class MeetingCanceled(DomainEvent):
    name: ClassVar[str] = "meeting_canceled"
    tenant_id: str
    lead_id: int
    booking_id: str
