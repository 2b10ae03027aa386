"""Handlers of the events of the apps below (subscribed in apps/messaging/wiring.py)."""

from __future__ import annotations

import structlog

from apps.channels.models import Channel
from apps.channels.providers.base import ProviderError
from apps.channels.services import adapter_for
from apps.messaging.held import held_leads_release
from apps.messaging.sending import status_callback_url
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.messaging")


def on_channel_connected(event) -> None:
    """A Telegram bot whose token works is pointed at its webhook, with the channel's secret
    token (Telegram sends it back in X-Telegram-Bot-Api-Secret-Token)."""
    if event.provider != "telegram":
        return
    channel = Channel.objects.unscoped().filter(pk=event.channel_id).first()
    if channel is None:
        return
    try:
        adapter_for(channel).set_webhook(status_callback_url(channel))
    except ProviderError as exc:
        logger.warning("telegram.set_webhook_failed", channel_id=channel.pk, error=exc.message)
        Channel.objects.filter(pk=channel.pk).update(last_error=exc.message[:500])


def on_subscription_changed(event) -> None:
    """Upgrade or a new period: held leads come in as far as the quota allows."""
    tenant = Tenant.objects.filter(pk=event.tenant_id).first()
    if tenant is None:
        return
    with tenant_scope(tenant):
        held_leads_release(tenant)
