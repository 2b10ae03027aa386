"""Tenants asks its limits of a registered provider (billing's plans); without one, only the
company ceiling stands."""

import pytest

from apps.core.errors import LimitReached
from apps.tenants import limits
from apps.tenants.roles import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Fixed:
    def __init__(self, members=None, allowances=(), plan=None):
        self.members, self.allowances, self.plan = members, list(allowances), plan

    def max_members(self, tenant):
        return self.members

    def company_allowances(self, user):
        return self.allowances

    def plan_with_more_members(self, tenant, limit):
        return self.plan


@pytest.fixture
def provider(monkeypatch):
    """Restores the provider billing registered once the test is done."""
    monkeypatch.setattr(limits, "_provider", limits.limits_provider())

    def install(provider):
        limits.register_limits_provider(provider)
        return provider

    return install


def test_billing_registered_the_plans_as_the_provider():
    assert type(limits.limits_provider()).__name__ == "PlanMemberLimits"


def test_without_a_provider_members_are_unlimited_and_the_ceiling_stands(
    provider, tenant, settings
):
    provider(limits.NoLimits())
    settings.MAX_TENANTS_PER_USER = 2
    MembershipFactory.create_batch(30, tenant=tenant)
    limits.ensure_tenant_can_add_member(tenant)
    assert limits.max_members_for_tenant(tenant) is None
    assert limits.max_tenants_for_user(UserFactory()) == 2


def test_the_provider_sets_the_member_limit_and_names_the_plan(provider, tenant):
    provider(_Fixed(members=2, plan="pro"))
    MembershipFactory(tenant=tenant, role=Role.ADMIN)
    limits.ensure_tenant_can_add_member(tenant)
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    with pytest.raises(LimitReached) as err:
        limits.ensure_tenant_can_add_member(tenant)
    assert err.value.code == "member_limit_reached" and err.value.extra == {"plan": "pro"}


@pytest.mark.parametrize(
    ("allowances", "expected"), [([], 5), ([1, 3], 5), ([7, 3], 7), ([3, None], None)]
)
def test_company_allowances_only_lift_the_ceiling(provider, settings, allowances, expected):
    settings.MAX_TENANTS_PER_USER = 5
    provider(_Fixed(allowances=allowances))
    assert limits.max_tenants_for_user(UserFactory()) == expected
