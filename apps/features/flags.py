"""Release flags: django-waffle plus a per-flag whitelist of companies (docs/release-flags.md).

Release flags gate unfinished or gradually rolled-out pages; they are not entitlements.
"""

from __future__ import annotations

from django.core.cache import cache
from waffle import flag_is_active, get_waffle_flag_model

from apps.features.models import FlagTenant

RELEASE_FLAGS = ("dashboard_beta", "onboarding_wizard", "new_billing")
# Flags already rolled out to everyone (staff keep them as kill switches: Everyone = No).
ROLLED_OUT = {"new_billing": True}
_WHITELIST = "release-flag-tenants:{}"
_WHITELIST_TTL = 3600


def flag_tenant_ids(name: str) -> frozenset[str]:
    """Ids of the companies whitelisted on a flag (cached; staff edits invalidate it)."""
    key = _WHITELIST.format(name)
    ids = cache.get(key)
    if ids is None:
        ids = frozenset(
            str(pk)
            for pk in FlagTenant.objects.filter(flag__name=name).values_list("tenant_id", flat=True)
        )
        cache.set(key, ids, _WHITELIST_TTL)
    return ids


def flag_whitelist_changed(name: str) -> None:
    cache.delete(_WHITELIST.format(name))


def flag_active(request, name: str) -> bool:
    """Waffle's answer, plus: on for a whitelisted request tenant unless switched off for
    everyone (`everyone = No` in the admin)."""
    flag = get_waffle_flag_model().get(name)  # cached by waffle
    tenant = getattr(request, "tenant", None)
    listed = tenant is not None and str(tenant.pk) in flag_tenant_ids(name)
    if flag.pk and flag.everyone is None and listed:
        return True
    return bool(flag_is_active(request, name))


def flags_ensure_seeded(using: str = "default") -> None:
    """Create the release flags of the data migration that are missing (never touches
    existing ones)."""
    import importlib

    seed = importlib.import_module("apps.features.migrations.0002_release_flags")
    Flag = get_waffle_flag_model()
    for name, note in seed.FLAGS.items():
        Flag.objects.using(using).get_or_create(
            name=name,
            defaults={"note": note, "everyone": ROLLED_OUT.get(name), "superusers": False},
        )
