"""Team and company limits come from the plan (apps/tenants/limits.py)."""

import pytest

from apps.billing.tests.helpers import start_trial, subscribe
from apps.core.errors import LimitReached
from apps.tenants import limits
from apps.tenants import services as tenant_services
from apps.tenants.roles import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_trial_allows_three_members_and_names_the_plan_that_allows_more(tenant, admin_user):
    start_trial(tenant)
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    tenant_services.invitation_create(
        tenant=tenant, actor=admin_user, email="third@example.com", role=Role.ANALYST
    )
    with pytest.raises(LimitReached) as err:
        tenant_services.invitation_create(
            tenant=tenant, actor=admin_user, email="fourth@example.com", role=Role.ANALYST
        )
    assert err.value.code == "member_limit_reached" and err.value.extra["plan"] == "pro"


def test_upgrading_lifts_the_member_limit_at_once(tenant, admin_user):
    start_trial(tenant)
    MembershipFactory.create_batch(2, tenant=tenant)
    with pytest.raises(LimitReached):
        limits.ensure_tenant_can_add_member(tenant)
    subscribe(tenant, "pro")
    limits.ensure_tenant_can_add_member(tenant)
    assert limits.max_members_for_tenant(tenant) == 10
    subscribe(tenant, "business")
    assert limits.max_members_for_tenant(tenant) is None


def test_company_ceiling_is_lifted_by_a_plan_with_unlimited_companies(settings):
    settings.MAX_TENANTS_PER_USER = 2
    user = UserFactory()
    first = tenant_services.tenant_create(user=user, name="One")
    tenant_services.tenant_create(user=user, name="Two")
    with pytest.raises(LimitReached):
        tenant_services.tenant_create(user=user, name="Three")
    subscribe(first, "business")
    assert limits.max_tenants_for_user(user) is None
    tenant_services.tenant_create(user=user, name="Three")


def test_a_plan_with_more_companies_than_the_ceiling_raises_it(settings):
    settings.MAX_TENANTS_PER_USER = 1
    user = UserFactory()
    tenant = TenantFactory()
    MembershipFactory(tenant=tenant, user=user, role=Role.ADMIN)
    assert limits.max_tenants_for_user(user) == 1
    subscribe(tenant, "pro")
    assert limits.max_tenants_for_user(user) == 3
