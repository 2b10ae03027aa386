"""Reading endpoints, deliveries and their log (always within one tenant)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list(tenant) -> QuerySet:
    return WebhookEndpoint.objects.for_tenant(tenant).order_by("created_at", "pk")


def endpoint_get(tenant, endpoint_id) -> WebhookEndpoint:
    """The tenant's endpoint; another tenant's or an unknown id raises Http404."""
    endpoint = endpoint_list(tenant).filter(pk=endpoint_id).select_related("tenant").first()
    if endpoint is None:
        raise Http404
    return endpoint


def endpoints_disabled(tenant) -> list[WebhookEndpoint]:
    """Endpoints switched off after failing for a day (the page's banner)."""
    return list(
        endpoint_list(tenant).filter(enabled=False, disabled_at__isnull=False).order_by("pk")
    )


def delivery_list(tenant, *, endpoint_id=None, status: str | None = None) -> QuerySet:
    query = (
        WebhookDelivery.objects.for_tenant(tenant)
        .select_related("event", "endpoint")
        .order_by("-pk")
    )
    if endpoint_id is not None:
        query = query.filter(endpoint_id=endpoint_id)
    if status:
        query = query.filter(status=status)
    return query


def delivery_get(tenant, delivery_id) -> WebhookDelivery:
    delivery = delivery_list(tenant).select_related("endpoint__tenant").filter(pk=delivery_id)
    found = delivery.first()
    if found is None:
        raise Http404
    return found


def delivery_attempts(tenant, delivery) -> list[WebhookAttempt]:
    return list(WebhookAttempt.objects.for_tenant(tenant).filter(delivery=delivery).order_by("-pk"))
