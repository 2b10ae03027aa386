"""Every write to webhook endpoints: create (the secret is returned once), change, remove,
send a test event, resend a delivery. Admin-only callers; the webhooks tool is checked."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.crypto import rotate_text
from apps.core.errors import ValidationFailed
from apps.features.guards import ensure_feature
from apps.integrations.delivery import delivery_resend
from apps.integrations.event_types import EVENT_TYPES
from apps.integrations.models import WebhookDelivery, WebhookEndpoint, new_secret
from apps.integrations.outbox import TOOL, deliveries_queue, record_test_event
from apps.integrations.targets import target_check
from apps.tenants.scoping import unscoped_scope

MAX_ENDPOINTS = 20


def _clean_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise ValidationFailed(
            _("Some fields are invalid."), fields={"events": [_("Choose at least one event.")]}
        )
    unknown = sorted({str(e) for e in events} - EVENT_TYPES.keys())
    if unknown:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"events": [_("Unknown events: %(e)s.") % {"e": ", ".join(unknown)}]},
        )
    return [key for key in EVENT_TYPES if key in events]


def endpoint_create(
    *, tenant, actor, url: str, events, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown to the caller once, stored encrypted)."""
    ensure_feature(tenant, TOOL)
    events = _clean_events(events)
    target_check(url)
    if WebhookEndpoint.objects.for_tenant(tenant).count() >= MAX_ENDPOINTS:
        raise ValidationFailed(
            _("A company may have at most %(n)s webhook endpoints.") % {"n": MAX_ENDPOINTS},
            code="endpoint_limit_reached",
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        tenant=tenant,
        url=url,
        description=(description or "").strip()[:200],
        events=events,
        created_by=actor
        if getattr(actor, "pk", None) and not getattr(actor, "is_api_key", False)
        else None,
    )
    endpoint.secret = secret
    endpoint.save()
    return endpoint, secret


def endpoint_update(endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change the URL (checked again), the events, the description, or enable/disable it.
    Enabling an endpoint that was disabled sends its kept events, in order."""
    ensure_feature(endpoint.tenant, TOOL)
    if "url" in changes:
        target_check(changes["url"])
        endpoint.url = changes["url"]
    if "events" in changes:
        endpoint.events = _clean_events(changes["events"])
    if "description" in changes:
        endpoint.description = (changes["description"] or "").strip()[:200]
    enabling = changes.get("enabled") is True and not endpoint.enabled
    if "enabled" in changes:
        endpoint.enabled = bool(changes["enabled"])
        if endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
    with transaction.atomic():
        endpoint.save()
        if enabling:
            kept = WebhookDelivery.objects.for_tenant(endpoint.tenant_id).filter(
                endpoint=endpoint, status="pending"
            )
            deliveries_queue(endpoint.tenant, list(kept.order_by("pk")[:200]))
    return endpoint


def endpoint_delete(endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its deliveries and log."""
    endpoint.delete()


def endpoint_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a `webhook.test` event to this endpoint only (queued: the log shows the answer)."""
    ensure_feature(endpoint.tenant, TOOL)
    target_check(endpoint.url)
    with transaction.atomic():
        return record_test_event(endpoint.tenant, endpoint)


def delivery_resend_queue(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send one delivery again, now."""
    ensure_feature(delivery.endpoint.tenant, TOOL)
    with transaction.atomic():
        delivery = delivery_resend(delivery)
        deliveries_queue(delivery.endpoint.tenant, [delivery])
    return delivery


def endpoints_reencrypt() -> int:
    """Re-encrypt every endpoint's signing secret under the first FIELD_ENCRYPTION_KEYS key
    (key rotation, as `channels_reencrypt` does for channel credentials)."""
    count = 0
    with unscoped_scope():
        for endpoint in WebhookEndpoint.objects.iterator():
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                secret_encrypted=rotate_text(endpoint.secret_encrypted)
            )
            count += 1
    return count
