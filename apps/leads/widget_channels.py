"""Which channels a widget visitor may choose to be answered in.

apps/leads sits below the apps that own channels, so it never imports them: an upper app
registers a function at start-up (its wiring.py) that lists a tenant's connected
channels as (key, label) pairs. The configurator offers the union; the public widget shows
the chosen ones that are still offered.
"""

from __future__ import annotations

from collections.abc import Callable

ChannelChoices = Callable[[str], list[tuple[str, str]]]

_providers: list[ChannelChoices] = []


def register_channel_choices(provider: ChannelChoices) -> ChannelChoices:
    """Add `provider(tenant_id) -> [(key, label), …]`; usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_channel_choices(provider: ChannelChoices) -> None:
    if provider in _providers:
        _providers.remove(provider)


def channel_choices(tenant_id) -> list[tuple[str, str]]:
    """Every offered (key, label) for the tenant, first provider first, keys unique."""
    seen: dict[str, str] = {}
    for provider in _providers:
        for key, label in provider(str(tenant_id)):
            seen.setdefault(key, str(label))
    return list(seen.items())
