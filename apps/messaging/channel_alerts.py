"""A provider refused a channel's credentials on a real send: the channel is switched off
(error, disabled) and the tenant's administrators get one e-mail. Leads keep arriving through
the other channels; the pages show a banner (selectors.channels_failing)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.channels.models import Channel, ChannelStatus
from apps.tenants.emails import email_admins

logger = structlog.get_logger("fastlead.messaging")

SUBJECT = gettext_lazy("Channel “%(name)s” was switched off")
BODY = gettext_lazy(
    "The provider refused the credentials of the channel “%(name)s” (%(provider)s) "
    "when sending a message: %(error)s\n\nThe channel is disabled; leads keep "
    "arriving through your other channels. Enter new credentials, test the channel "
    "and enable it again: %(url)s"
)


def channel_auth_failed(tenant, channel: Channel, provider_message: str) -> bool:
    """Disable the channel; True (and the e-mail sent) only for the call that disabled it."""
    switched = Channel.objects.filter(pk=channel.pk, enabled=True).update(
        status=ChannelStatus.ERROR,
        enabled=False,
        last_error=provider_message[:500],
        last_tested_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not switched:
        return False
    logger.warning("channel.auth_failed", channel_id=channel.pk, provider=channel.provider)
    _email_admins(tenant, channel, provider_message)
    return True


def _email_admins(tenant, channel: Channel, provider_message: str) -> int:
    params = {
        "name": channel.name,
        "provider": channel.get_provider_display(),
        "error": provider_message,
        "url": settings.SITE_URL + reverse("channels:index", args=[tenant.slug]),
    }
    return email_admins(tenant, SUBJECT, BODY, params)
