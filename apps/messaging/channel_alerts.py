"""A provider refused a channel's credentials on a real send: the channel is switched off
(error, disabled) and the tenant's administrators get one e-mail. Leads keep arriving through
the other channels; the pages show a banner (selectors.channels_failing)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.channels.models import Channel, ChannelStatus
from apps.tenants.models import Membership
from apps.tenants.roles import Role

logger = structlog.get_logger("fastlead.messaging")


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
    url = settings.SITE_URL + reverse("channels:index", args=[tenant.slug])
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
            subject = _("Channel “%(name)s” was switched off") % {"name": channel.name}
            body = _(
                "The provider refused the credentials of the channel “%(name)s” (%(provider)s) "
                "when sending a message: %(error)s\n\nThe channel is disabled; leads keep "
                "arriving through your other channels. Enter new credentials, test the channel "
                "and enable it again: %(url)s"
            ) % {
                "name": channel.name,
                "provider": channel.get_provider_display(),
                "error": provider_message,
                "url": url,
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        sent += 1
    return sent
