"""Connect, change, test and remove a tenant's channels.

Credentials are validated per provider (its adapter's `credential_fields`), stored encrypted,
and never logged: the log lines here carry the channel id, provider and status only.
"""

from __future__ import annotations

import httpx
import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.plan_limits import plan_limits_get
from apps.channels.events import ChannelConnected
from apps.channels.models import Channel, ChannelStatus, Provider
from apps.channels.providers import ADAPTERS, adapter_class
from apps.channels.providers.base import Adapter, ProviderError
from apps.core.crypto import rotate_text
from apps.core.errors import ValidationFailed
from apps.core.events import emit
from apps.tenants.limits import PlanLimitReached
from apps.tenants.scoping import unscoped_scope

logger = structlog.get_logger("fastlead.channels")


def adapter_for(channel: Channel, *, transport: httpx.BaseTransport | None = None) -> Adapter:
    return adapter_class(channel.provider)(
        credentials=channel.credentials,
        settings=channel.settings,
        webhook_token=channel.webhook_token,
        transport=transport,
    )


def _clean(
    provider: str,
    credentials: dict | None,
    settings: dict | None,
    *,
    partial: bool,
    current: Channel | None = None,
) -> tuple[dict, dict]:
    """Only the provider's own fields, stripped strings; required ones present (on an update,
    a field left out keeps its stored value). ValidationFailed names each missing field."""
    adapter = adapter_class(provider)
    errors: dict[str, list[str]] = {}
    merged = []
    for group, fields, given, stored in (
        (
            "credentials",
            adapter.credential_fields,
            credentials,
            current.credentials if current else {},
        ),
        ("settings", adapter.setting_fields, settings, current.settings if current else {}),
    ):
        given = given or {}
        if not isinstance(given, dict):
            errors[group] = [_("Must be an object.")]
            merged.append({})
            continue
        unknown = sorted(set(given) - {f.name for f in fields})
        for name in unknown:
            errors[f"{group}.{name}"] = [_("Unknown field for this provider.")]
        values = dict(stored) if partial else {}
        for f in fields:
            if f.name in given:
                values[f.name] = str(given[f.name] if given[f.name] is not None else "").strip()
            if f.required and not values.get(f.name):
                errors[f"{group}.{f.name}"] = [_("This field is required.")]
            if not values.get(f.name):
                values.pop(f.name, None)
        merged.append(values)
    if errors:
        raise ValidationFailed(_("Check the channel's fields."), fields=errors)
    return merged[0], merged[1]


def ensure_can_add_channel(tenant) -> None:
    """403 `channel_limit_reached` when the tenant's plan has no room for another channel."""
    limit = plan_limits_get(tenant).max_channels
    if limit is None:
        return
    if Channel.objects.for_tenant(tenant).count() < limit:
        return
    raise PlanLimitReached(
        _("Your plan allows at most %(limit)s channels.") % {"limit": limit},
        code="channel_limit_reached",
        extra={"limit": limit},
    )


@transaction.atomic
def channel_create(
    *, tenant, provider: str, name: str, credentials: dict | None, settings: dict | None = None
) -> Channel:
    if provider not in ADAPTERS:
        raise ValidationFailed(
            _("Unknown provider."), fields={"provider": [_("Unknown provider.")]}
        )
    creds, public = _clean(provider, credentials, settings, partial=False)
    # Lock the tenant's channels so two concurrent connects cannot both pass the limit.
    list(Channel.objects.for_tenant(tenant).select_for_update().values_list("id", flat=True))
    ensure_can_add_channel(tenant)
    channel = Channel(
        tenant=tenant,
        provider=provider,
        kind=adapter_class(provider).kind,
        name=name.strip() or str(Provider(provider).label),
        settings=public,
    )
    channel.credentials = creds
    channel.save()
    logger.info("channel.created", channel_id=channel.pk, provider=provider)
    return channel


@transaction.atomic
def channel_update(
    channel: Channel,
    *,
    name: str | None = None,
    credentials: dict | None = None,
    settings: dict | None = None,
    enabled: bool | None = None,
) -> Channel:
    if credentials is not None or settings is not None:
        creds, public = _clean(
            channel.provider, credentials, settings, partial=True, current=channel
        )
        if credentials:
            channel.credentials = creds
        channel.settings = public
        channel.status, channel.last_error = ChannelStatus.NEW, ""  # to be tested again
    if name is not None and name.strip():
        channel.name = name.strip()
    if enabled is not None:
        channel.enabled = enabled
    channel.save()
    logger.info("channel.updated", channel_id=channel.pk, provider=channel.provider)
    return channel


def channel_delete(channel: Channel) -> None:
    logger.info("channel.deleted", channel_id=channel.pk, provider=channel.provider)
    channel.delete()


def channel_test(channel: Channel, *, transport: httpx.BaseTransport | None = None) -> Channel:
    """Call the provider's cheapest authenticated endpoint; store connected/error, the
    provider's own message and the time."""
    adapter = adapter_for(channel, transport=transport)
    try:
        detail = adapter.verify_credentials()
    except ProviderError as exc:
        channel.status, channel.last_error = ChannelStatus.ERROR, exc.message
        detail = ""
    else:
        channel.status, channel.last_error = ChannelStatus.CONNECTED, ""
        _refresh_templates(channel, adapter)
    channel.last_tested_at = timezone.now()
    channel.settings = {**channel.settings, "account": detail} if detail else channel.settings
    channel.save(
        update_fields=[
            "status", "last_error", "last_tested_at", "settings", "templates", "updated_at"
        ]
    )  # fmt: skip
    logger.info(
        "channel.tested", channel_id=channel.pk, provider=channel.provider, status=channel.status
    )
    if channel.status == ChannelStatus.CONNECTED:
        emit(
            ChannelConnected(
                tenant_id=str(channel.tenant_id), channel_id=channel.pk, provider=channel.provider
            )
        )
    return channel


def _refresh_templates(channel: Channel, adapter: Adapter) -> None:
    """The provider's approved templates (kept as they were when they cannot be read: the
    channel still works for free text)."""
    try:
        templates = adapter.message_templates()
    except ProviderError as exc:
        channel.last_error = _(
            "Connected, but the message templates could not be read: %(error)s"
        ) % {"error": exc.message}
        return
    if templates is not None:
        channel.templates = templates


def channels_reencrypt() -> int:
    """Re-encrypt every stored credential under the first FIELD_ENCRYPTION_KEYS key."""
    count = 0
    with unscoped_scope():
        for channel in Channel.objects.exclude(credentials_encrypted="").iterator():
            Channel.objects.filter(pk=channel.pk).update(
                credentials_encrypted=rotate_text(channel.credentials_encrypted)
            )
            count += 1
    return count
