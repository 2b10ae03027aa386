"""What billing plugs into the tenants app at start-up (called from BillingConfig.ready()).

Tenants sits below billing and never imports it: billing subscribes to `TenantCreated` (every
new company starts its 14-day trial, in the creating transaction) and answers the member and
company limits from the plans.
"""

from django.contrib.auth import get_user_model

from apps.billing.selectors import (
    cheapest_plan_with_more_members,
    company_allowances_for_admin,
    subscription_current,
)
from apps.billing.services import subscription_start_trial
from apps.core.events import subscribe
from apps.tenants.events import TenantCreated
from apps.tenants.limits import register_limits_provider
from apps.tenants.models import Tenant


def trial_start_on_tenant_created(event: TenantCreated) -> None:
    """A tenant never exists without its trial: runs inside `tenant_create`'s transaction."""
    tenant = Tenant.objects.get(pk=event.tenant_id)
    actor = get_user_model().objects.filter(pk=event.user_id).first()
    subscription_start_trial(tenant=tenant, actor=actor)


class PlanMemberLimits:
    """`apps.tenants.limits.MemberLimits` read from the tenant's plan."""

    def max_members(self, tenant) -> int | None:
        subscription = subscription_current(tenant)
        return subscription.plan.max_members if subscription else None

    def company_allowances(self, user) -> list[int | None]:
        return company_allowances_for_admin(user)

    def plan_with_more_members(self, tenant, limit: int) -> str | None:
        plan = cheapest_plan_with_more_members(tenant, limit)
        return plan.code if plan else None


def register() -> None:
    subscribe(TenantCreated, trial_start_on_tenant_created, in_transaction=True)
    register_limits_provider(PlanMemberLimits())
