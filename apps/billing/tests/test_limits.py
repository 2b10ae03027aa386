"""Team and company limits come from the plan (apps/tenants/limits.py): seed 001's pricing,
Trial and Start 1 own company and 3 members, Pro 3 and 10, Business unlimited."""

import pytest
from django.urls import reverse

from apps.billing.tests.helpers import start_trial, subscribe
from apps.tenants import limits
from apps.tenants import services as tenant_services
from apps.tenants.limits import PlanLimitReached
from apps.tenants.roles import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_trial_allows_three_members_and_names_the_plan_that_allows_more(tenant, admin_user):
    start_trial(tenant)
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    tenant_services.invitation_create(
        tenant=tenant, actor=admin_user, email="third@example.com", role=Role.ANALYST
    )
    with pytest.raises(PlanLimitReached) as err:
        tenant_services.invitation_create(
            tenant=tenant, actor=admin_user, email="fourth@example.com", role=Role.ANALYST
        )
    assert err.value.code == "member_limit_reached" and err.value.status_code == 403
    assert err.value.extra["limit"] == 3 and err.value.extra["plan"] == "pro"
    assert err.value.extra["upgrade_url"] == f"/t/{tenant.slug}/billing/"


def test_upgrading_lifts_the_member_limit_at_once(tenant, admin_user):
    start_trial(tenant)
    MembershipFactory.create_batch(2, tenant=tenant)
    with pytest.raises(PlanLimitReached):
        limits.ensure_tenant_can_add_member(tenant)
    subscribe(tenant, "pro")
    limits.ensure_tenant_can_add_member(tenant)
    assert limits.max_members_for_tenant(tenant) == 10
    subscribe(tenant, "business")
    assert limits.max_members_for_tenant(tenant) is None


def test_owned_companies_follow_the_best_plan_among_them():
    # given: a new user may create the first company (the trial allows one)
    user = UserFactory()
    assert limits.max_tenants_for_user(user) == 1
    first = tenant_services.tenant_create(user=user, name="One")
    with pytest.raises(PlanLimitReached) as err:
        tenant_services.tenant_create(user=user, name="Two")
    assert err.value.extra["plan"] == "pro"
    assert err.value.extra["upgrade_url"] == f"/t/{first.slug}/billing/"
    # when the first moves to Start: still one; to Pro: three
    subscribe(first, "start")
    assert limits.max_tenants_for_user(user) == 1
    subscribe(first, "pro")
    assert limits.max_tenants_for_user(user) == 3
    tenant_services.tenant_create(user=user, name="Two")
    tenant_services.tenant_create(user=user, name="Three")
    with pytest.raises(PlanLimitReached) as err:
        tenant_services.tenant_create(user=user, name="Four")
    assert err.value.extra["limit"] == 3 and err.value.extra["plan"] == "business"
    # and Business on any of them: unlimited
    subscribe(first, "business")
    assert limits.max_tenants_for_user(user) is None
    tenant_services.tenant_create(user=user, name="Four")


def test_an_administrator_by_invitation_gets_no_allowance_from_that_company():
    user = UserFactory()
    joined = TenantFactory()
    MembershipFactory(tenant=joined, user=user, role=Role.ADMIN)
    subscribe(joined, "business")
    assert limits.max_tenants_for_user(user) == 1  # the Business company is not theirs


def test_the_team_page_shows_the_member_limit_in_place_with_the_plan_that_allows_more(
    tenant, admin_client_web
):
    # given: a trial company with its administrator and two more people (the trial's three)
    start_trial(tenant)
    MembershipFactory.create_batch(2, tenant=tenant)
    url = reverse("tenants:invitation_create", kwargs={"tenant_slug": tenant.slug})
    # when the administrator invites a fourth from the team page (HTMX)
    response = admin_client_web.post(
        url, {"email": "fourth@example.com", "role": "analyst"}, HTTP_HX_REQUEST="true"
    )
    # then the form shows why, in place (HTMX swaps 409), naming the plan that allows more
    html = response.content.decode()
    assert response.status_code == 409
    assert "Ваш тариф допускает не больше участников команды, чем 3." in html
    assert "Тариф «Про» позволяет больше." in html
