"""What the domain-event subscribers ask before doing any work: which event types some
enabled endpoint of the tenant asked for. Cached per tenant (apps/core/tenant_flags.py);
every save or delete of an endpoint (signals wired in apps/integrations/wiring.py) and the
bulk disable in alerts.py invalidate it, so a tenant that adds an endpoint gets the very
next event. A tenant without webhooks costs each event one cache read, not a query."""

from __future__ import annotations

from apps.core.tenant_flags import TenantFlag
from apps.integrations.models import WebhookEndpoint


def _subscribed_types(tenant_id: str) -> frozenset[str]:
    rows = (
        WebhookEndpoint.objects.for_tenant(tenant_id)
        .filter(enabled=True)
        .values_list("events", flat=True)
    )
    return frozenset(event_type for events in rows for event_type in (events or []))


SUBSCRIBED_TYPES = TenantFlag("webhook-event-types", _subscribed_types)


def subscribed_types(tenant) -> frozenset[str]:
    return SUBSCRIBED_TYPES.get(tenant)
