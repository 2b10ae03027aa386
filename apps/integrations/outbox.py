"""The webhook outbox: what happened is written down, once per event, with one delivery per
endpoint that asked for it, in the transaction that records it; the sends are queued after
commit (apps/integrations/delivery.py sends).

`webhook_events_record` takes the objects already as the API shows them, so an event carries
the object as it was when it happened (as Stripe's do), not as it is when the send runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.features.guards import feature_enabled
from apps.integrations.event_types import TEST
from apps.integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.integrations.tasks import deliver_webhook_task

TOOL = "webhooks"
# Sends queued at once after an event; a bigger batch (an import) is left to the dispatch
# beat, which picks every due delivery each minute.
QUEUE_AT_ONCE = 200


@dataclass(frozen=True)
class Occurrence:
    object_key: str  # "lead:12": later events of the same object wait for earlier ones
    data: dict  # {"object": {...}, ...extra} as the payload's `data`


def subscribed_endpoints(tenant, event_type: str) -> list[WebhookEndpoint]:
    """The tenant's enabled endpoints that asked for `event_type` (a short list: no index)."""
    endpoints = WebhookEndpoint.objects.for_tenant(tenant).filter(enabled=True)
    return [e for e in endpoints if event_type in (e.events or [])]


def envelope(tenant, event: WebhookEvent, data: dict) -> dict:
    return {
        "id": event.event_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "tenant_id": str(tenant.pk),
        "api_version": "v1",
        "data": data,
    }


def webhook_events_record(
    tenant, event_type: str, occurrences: Iterable[Occurrence], *, endpoints=None
) -> list[WebhookDelivery]:
    """Store the events and their deliveries; queue the sends after commit. Nothing is stored
    when the tenant has no webhooks tool or no endpoint wants this type."""
    if endpoints is None:
        if not feature_enabled(tenant, TOOL):
            return []
        endpoints = subscribed_endpoints(tenant, event_type)
    occurrences = list(occurrences)
    if not endpoints or not occurrences:
        return []
    now = timezone.now()
    with transaction.atomic():
        events = [
            WebhookEvent(
                tenant=tenant, type=event_type, object_key=o.object_key, payload={}, created_at=now
            )
            for o in occurrences
        ]
        for event, occurrence in zip(events, occurrences, strict=True):
            event.payload = envelope(tenant, event, occurrence.data)
        events = WebhookEvent.objects.bulk_create(events)
        if events and events[0].pk is None:  # backends that return no ids (none of ours)
            raise RuntimeError("bulk_create returned no ids")
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    tenant=tenant,
                    endpoint=endpoint,
                    event=event,
                    object_key=event.object_key,
                    next_attempt_at=now,
                )
                for event in events
                for endpoint in endpoints
            ]
        )
    deliveries_queue(tenant, deliveries[:QUEUE_AT_ONCE])
    return deliveries


def deliveries_queue(tenant, deliveries) -> None:
    """Queue the sends once the surrounding transaction commits."""
    tenant_id, ids = str(tenant.pk), [d.pk for d in deliveries]
    transaction.on_commit(lambda: [deliver_webhook_task.delay(tenant_id, pk) for pk in ids])


def record_test_event(tenant, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for one endpoint (enabled or not: testing is how one checks a
    receiver before enabling it again)."""
    occurrence = Occurrence(
        object_key=f"test:{endpoint.pk}:{timezone.now().timestamp()}",
        data={"object": {"endpoint_id": endpoint.pk, "message": "Fast Lead test event"}},
    )
    return webhook_events_record(tenant, TEST, [occurrence], endpoints=[endpoint])[0]
