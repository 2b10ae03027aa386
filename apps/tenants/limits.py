"""Limits on tenants and members, kept in one place.

Until the plans issue lands they come from settings; then they come from the tenant's plan.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import LimitReached


def max_tenants_for_user(user) -> int | None:
    return settings.MAX_TENANTS_PER_USER


def max_members_for_tenant(tenant) -> int | None:
    return None  # unlimited until plans set it


def ensure_user_can_join_tenant(user) -> None:
    from apps.tenants.selectors import memberships_for_user

    limit = max_tenants_for_user(user)
    if limit is not None and memberships_for_user(user).count() >= limit:
        raise LimitReached(
            _("You can belong to at most %(limit)s companies.") % {"limit": limit},
            code="tenant_limit_reached",
        )


def ensure_tenant_can_add_member(tenant) -> None:
    from apps.tenants.models import Invitation, Membership

    limit = max_members_for_tenant(tenant)
    if limit is None:
        return
    members = Membership.objects.for_tenant(tenant).count()
    pending = Invitation.objects.for_tenant(tenant).filter(accepted_at__isnull=True).count()
    if members + pending >= limit:
        raise LimitReached(
            _("Your plan allows at most %(limit)s team members.") % {"limit": limit},
            code="member_limit_reached",
        )
