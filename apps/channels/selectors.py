"""Scoped reads of channels."""

from apps.channels.models import Channel
from apps.core.errors import ObjectNotFound


def channel_list(tenant):
    return Channel.objects.for_tenant(tenant).order_by("name", "id")


def channel_get(tenant, channel_id) -> Channel:
    try:
        return Channel.objects.for_tenant(tenant).get(pk=int(channel_id))
    except (Channel.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


def channel_by_webhook_token(token: str) -> Channel:
    """The channel a provider's callback names (token in the URL): across tenants by design."""
    try:
        return Channel.objects.unscoped().get(webhook_token=token, enabled=True)
    except Channel.DoesNotExist:
        raise ObjectNotFound() from None
