"""Domain events of the tenants app (delivered by apps/core/events.py).

Tenants sits low in the layers: apps above it (billing starts the trial) subscribe to these
events instead of tenants calling them.
"""

from dataclasses import dataclass

from apps.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class TenantCreated(DomainEvent):
    """A company was created with `user_id` as its first administrator. Emitted inside the
    creating transaction: an in-transaction subscriber's failure undoes the creation."""

    name = "tenant_created"

    tenant_id: str
    user_id: int
