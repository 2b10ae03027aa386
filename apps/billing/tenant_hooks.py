"""What billing plugs into the tenants app at start-up (called from apps/billing/wiring.py).

Tenants sits below billing and never imports it: billing subscribes to `TenantCreated` (every
new company starts its 14-day trial, in the creating transaction) and answers the member and
company limits from the plans.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.billing.selectors import (
    cheapest_plan_with_more_companies,
    cheapest_plan_with_more_members,
    owned_company_allowances,
    subscription_current,
    trial_plan,
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


def _upgrade(plan, tenant) -> dict:
    return {
        "plan": plan.code if plan else None,
        "plan_name": str(plan.name) if plan else None,
        "upgrade_url": reverse("billing:overview", args=[tenant.slug]) if tenant else None,
    }


class PlanMemberLimits:
    """`apps.tenants.limits.MemberLimits` read from the plans (seed 001's pricing)."""

    def max_members(self, tenant) -> int | None:
        subscription = subscription_current(tenant)
        return subscription.plan.max_members if subscription else None

    def max_owned_tenants(self, owned) -> int | None:
        allowances = [limit for _tenant, limit in owned_company_allowances(owned)]
        if not allowances:  # the first company (or none live): what a new one starts on
            return trial_plan().max_tenants
        return None if None in allowances else max(allowances)

    def member_upgrade(self, tenant, limit: int) -> dict:
        return _upgrade(cheapest_plan_with_more_members(tenant, limit), tenant)

    def company_upgrade(self, owned, limit: int) -> dict:
        best = max(
            owned_company_allowances(owned),
            key=lambda pair: float("inf") if pair[1] is None else pair[1],
            default=(owned[0] if owned else None, None),
        )[0]
        return _upgrade(cheapest_plan_with_more_companies(best, limit), best)


def register() -> None:
    subscribe(TenantCreated, trial_start_on_tenant_created, in_transaction=True)
    register_limits_provider(PlanMemberLimits())
