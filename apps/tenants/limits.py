"""Limits on companies and team members, kept in one place and driven by the plan.

Tenants does not know plans: it asks a `MemberLimits` provider that billing registers at
start-up (apps/billing/tenant_hooks.py). Without one (billing not installed) members are
unlimited and a user may own `MAX_TENANTS_PER_USER` companies.

Members: the tenant's plan (`Plan.max_members`, empty = unlimited); pending invitations
count. Companies: only the companies a user *owns* count (created by them, still a member);
companies joined by invitation do not. The limit is the best plan among the owned companies
(seed 001's pricing: Trial and Старт 1, Про 3, Бизнес unlimited); a user who owns none may
create the first.

A limit answers 403 (seed 001: createTenant and inviteTeamMember, "403 лимит по плану") with
the limit and the upgrade path in the body: `{"error": {"code": "tenant_limit_reached",
"message": ..., "fields": {}, "limit": 1, "plan": "pro", "upgrade_url": "/t/acme/billing/"}}`.
The lead quota keeps its 402.
"""

from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.errors import ApplicationError
from apps.tenants.models import Invitation, Membership, Tenant


class PlanLimitReached(ApplicationError):
    """A plan's limit on companies or members: 403, with the limit and the upgrade path."""

    status_code = 403
    default_code = "plan_limit_reached"


NO_UPGRADE = {"plan": None, "plan_name": None, "upgrade_url": None}


class MemberLimits(Protocol):
    """What tenants asks of the plans (billing implements it)."""

    def max_members(self, tenant) -> int | None:
        """Members (plus pending invitations) the tenant's plan allows; None = unlimited."""

    def max_owned_tenants(self, owned: list[Tenant]) -> int | None:
        """Companies a user may own, given the ones they own: the best of their plans (the
        plan a new company starts on when they own none); None = unlimited."""

    def member_upgrade(self, tenant, limit: int) -> dict:
        """The plan that allows more members and where to change to it:
        `{"plan": code, "plan_name": name, "upgrade_url": path}` (values may be None)."""

    def company_upgrade(self, owned: list[Tenant], limit: int) -> dict:
        """The same for more companies (the upgrade goes to one of the owned companies)."""


class NoLimits:
    """The default when no provider is registered: members unlimited, companies capped by
    MAX_TENANTS_PER_USER."""

    def max_members(self, tenant) -> int | None:
        return None

    def max_owned_tenants(self, owned) -> int | None:
        return settings.MAX_TENANTS_PER_USER

    def member_upgrade(self, tenant, limit: int) -> dict:
        return NO_UPGRADE

    def company_upgrade(self, owned, limit: int) -> dict:
        return NO_UPGRADE


_provider: MemberLimits = NoLimits()


def register_limits_provider(provider: MemberLimits) -> None:
    """Install the plans' answer to the limits (billing, at start-up: its wiring.py)."""
    global _provider
    _provider = provider


def limits_provider() -> MemberLimits:
    return _provider


def owned_tenants(user) -> list[Tenant]:
    """The companies the user owns: created by them and still theirs (a deliberate
    cross-tenant read about the user). Companies joined by invitation are not owned."""
    if not getattr(user, "is_authenticated", False):
        return []
    memberships = Membership.objects.unscoped().filter(user=user, tenant__created_by=user)
    return [m.tenant for m in memberships.select_related("tenant").order_by("tenant__name")]


def max_tenants_for_user(user, owned: list[Tenant] | None = None) -> int | None:
    return _provider.max_owned_tenants(owned_tenants(user) if owned is None else owned)


def max_members_for_tenant(tenant) -> int | None:
    return _provider.max_members(tenant)


def ensure_user_can_create_tenant(user) -> None:
    """403 `tenant_limit_reached` when the user owns as many companies as their best plan
    allows."""
    owned = owned_tenants(user)
    limit = max_tenants_for_user(user, owned)
    if limit is None or len(owned) < limit:
        return
    upgrade = _provider.company_upgrade(owned, limit)
    message = ngettext(
        "Your plan allows %(limit)s company of your own.",
        "Your plan allows %(limit)s companies of your own.",
        limit,
    ) % {"limit": limit}
    raise PlanLimitReached(
        f"{message} {_upgrade_hint(upgrade)}".strip(),
        code="tenant_limit_reached",
        extra={"limit": limit, **upgrade},
    )


def ensure_tenant_can_add_member(tenant) -> None:
    """403 `member_limit_reached` when members plus pending invitations fill the plan."""
    limit = max_members_for_tenant(tenant)
    if limit is None:
        return
    members = Membership.objects.for_tenant(tenant).count()
    pending = Invitation.objects.for_tenant(tenant).filter(accepted_at__isnull=True).count()
    if members + pending < limit:
        return
    upgrade = _provider.member_upgrade(tenant, limit)
    message = _("Your plan allows at most %(limit)s team members.") % {"limit": limit}
    raise PlanLimitReached(
        f"{message} {_upgrade_hint(upgrade)}".strip(),
        code="member_limit_reached",
        extra={"limit": limit, **upgrade},
    )


def _upgrade_hint(upgrade: dict) -> str:
    name = upgrade.get("plan_name")
    if name:
        return _("The “%(plan)s” plan allows more.") % {"plan": name}
    return ""
