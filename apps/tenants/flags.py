"""Cached per-tenant facts the hot paths of the apps above ask about (apps/core/tenant_flags.py):
the company's time zone and the roles its active members hold. Every save or delete of a
company, a membership or a user (its `is_active`) invalidates them (wired in
apps/tenants/wiring.py), so the next lead sees a new operator or a new time zone."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save

from apps.core.tenant_flags import TenantFlag
from apps.tenants.models import Membership, Tenant


def _time_zone(tenant_id: str) -> str:
    return Tenant.objects.filter(pk=tenant_id).values_list("time_zone", flat=True).first() or ""


def _member_roles(tenant_id: str) -> frozenset[str]:
    rows = (
        Membership.objects.for_tenant(tenant_id)
        .filter(user__is_active=True)
        .values_list("role", flat=True)
        .distinct()
    )
    return frozenset(rows)


TIME_ZONE = TenantFlag("time-zone", _time_zone)
# The roles held by active members: "is there anyone to tell about a new lead?"
MEMBER_ROLES = TenantFlag("member-roles", _member_roles)


def tenant_time_zone(tenant) -> str:
    """The company's time zone name ("" when unset or unknown): one cache read when warm."""
    return TIME_ZONE.get(tenant)


def active_member_roles(tenant) -> frozenset[str]:
    """The roles the company's active members hold: one cache read when warm."""
    return MEMBER_ROLES.get(tenant)


def _user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and "is_active" not in update_fields:
        return  # a login (last_login) or a profile edit: the roles of active members stand
    for tenant_id in (
        Membership.objects.unscoped()
        .filter(user_id=instance.pk)
        .values_list("tenant_id", flat=True)
    ):
        MEMBER_ROLES.invalidate(tenant_id)


def connect() -> None:
    TIME_ZONE.invalidate_on_change(Tenant, tenant_of=lambda tenant: tenant.pk)
    MEMBER_ROLES.invalidate_on_change(Membership)
    post_save.connect(
        _user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="tenant-flag:member-roles"
    )
