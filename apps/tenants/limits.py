"""Limits on companies and team members, kept in one place and driven by the plan.

Members: the tenant's plan (`Plan.max_members`, empty = unlimited), read from the cached
entitlement snapshot. Companies per user: the `MAX_TENANTS_PER_USER` ceiling (5) against
sign-up abuse, lifted by a plan with more (or unlimited) companies on any company the user
administers; plans below the ceiling do not lower it, because every company runs its own
trial and subscription.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import LimitReached


def max_tenants_for_user(user) -> int | None:
    from apps.billing.selectors import company_allowances_for_admin

    ceiling = settings.MAX_TENANTS_PER_USER
    allowances = company_allowances_for_admin(user)
    if None in allowances:
        return None
    return max([ceiling, *allowances])


def max_members_for_tenant(tenant) -> int | None:
    from apps.features.selectors import entitlements_get

    return entitlements_get(tenant).max_members


def ensure_user_can_join_tenant(user) -> None:
    from apps.tenants.selectors import memberships_for_user

    limit = max_tenants_for_user(user)
    if limit is not None and memberships_for_user(user).count() >= limit:
        raise LimitReached(
            _("You can belong to at most %(limit)s companies.") % {"limit": limit},
            code="tenant_limit_reached",
        )


def ensure_tenant_can_add_member(tenant) -> None:
    from apps.billing.selectors import cheapest_plan_with_more_members
    from apps.tenants.models import Invitation, Membership

    limit = max_members_for_tenant(tenant)
    if limit is None:
        return
    members = Membership.objects.for_tenant(tenant).count()
    pending = Invitation.objects.for_tenant(tenant).filter(accepted_at__isnull=True).count()
    if members + pending >= limit:
        plan = cheapest_plan_with_more_members(tenant, limit)
        raise LimitReached(
            _("Your plan allows at most %(limit)s team members.") % {"limit": limit},
            code="member_limit_reached",
            extra={"plan": plan.code if plan else None},
        )
