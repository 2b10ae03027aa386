"""An endpoint whose delivery failed for the whole retry schedule (about 24 hours) is disabled,
and the company's admins get one e-mail; the webhooks page shows a banner until someone
enables it again (its pending deliveries then go)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.core.events import log_event
from apps.integrations.flags import SUBSCRIBED_TYPES
from apps.integrations.models import WebhookEndpoint
from apps.tenants.emails import email_admins

logger = structlog.get_logger("fastlead.integrations")

SUBJECT = gettext_lazy("Webhook endpoint %(url)s was disabled")
BODY = gettext_lazy(
    "Fast Lead could not deliver events to your webhook endpoint %(url)s for 24 "
    "hours: %(error)s\n\nThe endpoint is disabled and its events are kept. Fix the "
    "receiver, send a test event and enable the endpoint again; the kept events "
    "are then sent in order: %(page)s"
)


def endpoint_disable_after_failures(tenant, endpoint: WebhookEndpoint, error: str) -> bool:
    """Disable the endpoint; True (and the e-mail sent) only for the call that disabled it."""
    now = timezone.now()
    switched = (
        WebhookEndpoint.objects.for_tenant(tenant)
        .filter(pk=endpoint.pk, enabled=True)
        .update(enabled=False, disabled_at=now, disabled_reason=error[:500], updated_at=now)
    )
    if not switched:
        return False
    SUBSCRIBED_TYPES.invalidate(tenant)  # a bulk update sends no post_save
    log_event("webhook_endpoint_disabled", tenant_id=str(tenant.pk), endpoint_id=endpoint.pk)
    _email_admins(tenant, endpoint, error)
    return True


def _email_admins(tenant, endpoint: WebhookEndpoint, error: str) -> int:
    url = settings.SITE_URL + reverse("integrations:detail", args=[tenant.slug, endpoint.pk])
    params = {"url": endpoint.url, "error": error, "page": url}
    return email_admins(tenant, SUBJECT, BODY, params)
