"""Scoped reads of channels."""

from apps.channels.models import Channel, ChannelKind, ChannelStatus
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


def widget_channel_choices(tenant_id: str) -> list[tuple[str, str]]:
    """The kinds of the tenant's connected, enabled channels, for the widget's channel choice
    (registered into apps/leads/widget_channels.py at start-up)."""
    kinds = (
        Channel.objects.unscoped()
        .filter(tenant_id=tenant_id, enabled=True, status=ChannelStatus.CONNECTED)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )
    labels = dict(ChannelKind.choices)
    return [(kind, labels.get(kind, kind)) for kind in kinds]
