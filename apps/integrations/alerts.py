"""An endpoint whose delivery failed for the whole retry schedule (about 24 hours) is disabled,
and the company's admins get one e-mail; the webhooks page shows a banner until someone
enables it again (its pending deliveries then go)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.events import log_event
from apps.integrations.flags import SUBSCRIBED_TYPES
from apps.integrations.models import WebhookEndpoint
from apps.tenants.models import Membership
from apps.tenants.roles import Role

logger = structlog.get_logger("fastlead.integrations")


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
    admins = (
        Membership.objects.for_tenant(tenant)
        .filter(role=Role.ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    sent = 0
    for membership in admins:
        user = membership.user
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            subject = _("Webhook endpoint %(url)s was disabled") % {"url": endpoint.url}
            body = _(
                "Fast Lead could not deliver events to your webhook endpoint %(url)s for 24 "
                "hours: %(error)s\n\nThe endpoint is disabled and its events are kept. Fix the "
                "receiver, send a test event and enable the endpoint again; the kept events "
                "are then sent in order: %(page)s"
            ) % {"url": endpoint.url, "error": error, "page": url}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        sent += 1
    return sent
