"""Tenants asks its limits of a registered provider (billing's plans); without one, members
are unlimited and a user may own MAX_TENANTS_PER_USER companies."""

import pytest

from apps.tenants import limits, services
from apps.tenants.limits import NO_UPGRADE, PlanLimitReached
from apps.tenants.roles import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Fixed:
    def __init__(self, members=None, companies=None, plan=None):
        self.members, self.companies, self.plan = members, companies, plan

    def max_members(self, tenant):
        return self.members

    def max_owned_tenants(self, owned):
        return self.companies

    def member_upgrade(self, tenant, limit):
        return {"plan": self.plan, "plan_name": "Pro", "upgrade_url": "/up/"}

    def company_upgrade(self, owned, limit):
        return {"plan": self.plan, "plan_name": "Pro", "upgrade_url": "/up/"}


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


def test_without_a_provider_members_are_unlimited_and_the_setting_caps_owned_companies(
    provider, tenant, settings
):
    provider(limits.NoLimits())
    settings.MAX_TENANTS_PER_USER = 2
    MembershipFactory.create_batch(30, tenant=tenant)
    limits.ensure_tenant_can_add_member(tenant)
    assert limits.max_members_for_tenant(tenant) is None
    assert limits.max_tenants_for_user(UserFactory()) == 2
    assert limits.NoLimits().company_upgrade([], 2) == NO_UPGRADE


def test_the_provider_sets_the_member_limit_and_the_403_names_limit_and_upgrade(provider, tenant):
    provider(_Fixed(members=2, plan="pro"))
    MembershipFactory(tenant=tenant, role=Role.ADMIN)
    limits.ensure_tenant_can_add_member(tenant)
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    with pytest.raises(PlanLimitReached) as err:
        limits.ensure_tenant_can_add_member(tenant)
    assert err.value.status_code == 403 and err.value.code == "member_limit_reached"
    assert err.value.extra == {"limit": 2, "plan": "pro", "plan_name": "Pro", "upgrade_url": "/up/"}


def test_only_owned_companies_count_against_the_company_limit(provider):
    # given: a limit of one own company; the user joined two others by invitation
    provider(_Fixed(companies=1, plan="pro"))
    user = UserFactory()
    MembershipFactory.create_batch(2, user=user, role=Role.ADMIN)
    assert limits.owned_tenants(user) == []
    # when / then: the first own company is allowed, the second refused
    services.tenant_create(user=user, name="Own")
    with pytest.raises(PlanLimitReached) as err:
        services.tenant_create(user=user, name="Second")
    assert err.value.code == "tenant_limit_reached" and err.value.extra["limit"] == 1


def test_unlimited_companies_never_refuse(provider):
    provider(_Fixed(companies=None))
    user = UserFactory()
    for n in range(4):
        services.tenant_create(user=user, name=f"C{n}")
    assert len(limits.owned_tenants(user)) == 4
