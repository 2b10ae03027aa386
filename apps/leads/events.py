"""What leads tells the apps above it (DESIGN.md, the layers): leads emits, an upper app
subscribes in its AppConfig.ready() without leads naming it."""

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
