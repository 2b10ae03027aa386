"""Limits on companies and team members, kept in one place and driven by the plan.

Tenants does not know plans: it asks a `MemberLimits` provider that billing registers at
start-up (apps/billing/tenant_hooks.py). Without one (billing not installed) nothing is
limited but the `MAX_TENANTS_PER_USER` ceiling.

Members: the tenant's plan (`Plan.max_members`, empty = unlimited). Companies per user: the
`MAX_TENANTS_PER_USER` ceiling (5) against sign-up abuse, lifted by a plan with more (or
unlimited) companies on any company the user administers; plans below the ceiling do not
lower it, because every company runs its own trial and subscription.
"""

from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import LimitReached
from apps.tenants.models import Invitation, Membership
from apps.tenants.selectors import memberships_for_user


class MemberLimits(Protocol):
    """What tenants asks of the plans (billing implements it)."""

    def max_members(self, tenant) -> int | None:
        """Members (plus pending invitations) the tenant's plan allows; None = unlimited."""

    def company_allowances(self, user) -> list[int | None]:
        """`max_tenants` of the plans of every company the user administers."""

    def plan_with_more_members(self, tenant, limit: int) -> str | None:
        """The code of the cheapest plan on sale that allows more than `limit` members."""


class NoLimits:
    """The default when no provider is registered: members unlimited, the ceiling stands."""

    def max_members(self, tenant) -> int | None:
        return None

    def company_allowances(self, user) -> list[int | None]:
        return []

    def plan_with_more_members(self, tenant, limit: int) -> str | None:
        return None


_provider: MemberLimits = NoLimits()


def register_limits_provider(provider: MemberLimits) -> None:
    """Install the plans' answer to the limits (billing calls it from its AppConfig.ready())."""
    global _provider
    _provider = provider


def limits_provider() -> MemberLimits:
    return _provider


def max_tenants_for_user(user) -> int | None:
    ceiling = settings.MAX_TENANTS_PER_USER
    allowances = _provider.company_allowances(user)
    if None in allowances:
        return None
    return max([ceiling, *allowances])


def max_members_for_tenant(tenant) -> int | None:
    return _provider.max_members(tenant)


def ensure_user_can_join_tenant(user) -> None:
    limit = max_tenants_for_user(user)
    if limit is not None and memberships_for_user(user).count() >= limit:
        raise LimitReached(
            _("You can belong to at most %(limit)s companies.") % {"limit": limit},
            code="tenant_limit_reached",
        )


def ensure_tenant_can_add_member(tenant) -> None:
    limit = max_members_for_tenant(tenant)
    if limit is None:
        return
    members = Membership.objects.for_tenant(tenant).count()
    pending = Invitation.objects.for_tenant(tenant).filter(accepted_at__isnull=True).count()
    if members + pending >= limit:
        raise LimitReached(
            _("Your plan allows at most %(limit)s team members.") % {"limit": limit},
            code="member_limit_reached",
            extra={"plan": _provider.plan_with_more_members(tenant, limit)},
        )
