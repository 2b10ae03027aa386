"""Tenant and team API: role checks, tenant isolation, invitations, last-admin protection."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from apps.tenants import services
from apps.tenants.models import Invitation, Membership, Tenant
from apps.tenants.roles import Role
from conftest import api_client_for
from tests.factories import InvitationFactory, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

TENANTS = "/api/v1/tenants/"
ACCEPT = "/api/v1/invitations/accept"


def _url(tenant, suffix=""):
    return f"{TENANTS}{tenant.id}/{suffix}"


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


def _members(tenant):
    return dict(Membership.objects.for_tenant(tenant).values_list("user_id", "role"))


@pytest.fixture
def invitation(tenant, admin_user):
    invitation, token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="new@example.com", role=Role.OPERATOR
    )
    invitation.token = token
    return invitation


# --- list and create ------------------------------------------------------------------------


def test_tenant_list_shows_only_the_callers_tenants_with_role(
    admin_user, tenant, other_tenant, outsider, django_assert_max_num_queries
):
    for n in range(3):
        MembershipFactory(tenant=TenantFactory(name=f"Z{n}"), user=admin_user, role=Role.ANALYST)
    client = api_client_for(admin_user)
    with django_assert_max_num_queries(3):
        response = client.get(TENANTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    first = body["results"][0]
    assert first["id"] == str(tenant.id) and first["role"] == "admin"
    assert set(first) == {
        "id",
        "name",
        "slug",
        "site_domain",
        "allowed_origins",
        "created_at",
        "role",
    }
    assert [r["role"] for r in body["results"][1:]] == ["analyst"] * 3
    assert str(other_tenant.id) not in {r["id"] for r in body["results"]}


def test_tenant_list_is_paginated(admin_api):
    body = admin_api.get(TENANTS, {"limit": 1, "offset": 0}).json()
    assert body["count"] == 1 and len(body["results"]) == 1 and body["next"] is None


def test_tenant_create_makes_the_caller_admin():
    user = UserFactory()
    response = api_client_for(user).post(
        TENANTS,
        {
            "name": "Ромашка",
            "site_domain": "Romashka.ru",
            "allowed_origins": ["https://romashka.ru/"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "admin" and body["slug"] == "romashka"
    assert body["site_domain"] == "romashka.ru"
    assert body["allowed_origins"] == ["https://romashka.ru"]
    tenant = Tenant.objects.get(pk=body["id"])
    assert _members(tenant) == {user.pk: "admin"}


def test_tenant_create_needs_a_verified_email():
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    response = api_client_for(user).post(TENANTS, {"name": "Acme"}, format="json")
    _assert_error(response, 403, "email_not_verified")
    assert not Tenant.objects.exists()


def test_tenant_create_past_the_plan_answers_403_with_the_limit_and_the_upgrade_path():
    # given: a user who owns one company (on its trial) and joined five by invitation
    user = UserFactory()
    own = services.tenant_create(user=user, name="Own")
    for _ in range(5):
        MembershipFactory(user=user)
    # when
    response = api_client_for(user).post(TENANTS, {"name": "One more"}, format="json")
    # then: only the owned one counts, and the trial allows one
    error = _assert_error(response, 403, "tenant_limit_reached")
    assert error["limit"] == 1 and error["plan"] == "pro"
    assert error["upgrade_url"] == f"/t/{own.slug}/billing/"
    assert Tenant.objects.count() == 6


def test_companies_joined_by_invitation_do_not_stop_a_user_creating_their_own():
    user = UserFactory()
    for _ in range(5):
        MembershipFactory(user=user)
    response = api_client_for(user).post(TENANTS, {"name": "Mine"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Acme", "allowed_origins": ["example.com"]}, "allowed_origins"),
        ({"name": "Acme", "allowed_origins": "https://example.com"}, "allowed_origins"),
        ({"name": "Acme", "plan": "business"}, "plan"),
    ],
)
def test_tenant_create_rejects_bad_input(body, field):
    response = api_client_for(UserFactory()).post(TENANTS, body, format="json")
    fields = _assert_error(response, 400, "invalid")["fields"]
    # a bad item of a list is named with its index: allowed_origins.0
    assert any(key.split(".")[0] == field for key in fields), fields
    assert not Tenant.objects.exists()


# --- detail -----------------------------------------------------------------------------------


@pytest.mark.parametrize("client", ["admin_api", "operator_api", "analyst_api"])
def test_every_member_can_read_the_tenant(request, tenant, client):
    response = request.getfixturevalue(client).get(_url(tenant))
    assert response.status_code == 200
    assert response.json()["id"] == str(tenant.id)


def test_tenant_can_be_addressed_by_slug(admin_api, tenant):
    response = admin_api.get(f"{TENANTS}{tenant.slug}/")
    assert response.json()["id"] == str(tenant.id)


def test_unknown_tenant_is_not_found(admin_api):
    _assert_error(
        admin_api.get(f"{TENANTS}00000000-0000-0000-0000-000000000000/"), 404, "not_found"
    )


def test_admin_can_patch_the_tenant(admin_api, tenant):
    response = admin_api.patch(
        _url(tenant),
        {"name": "Acme 2", "allowed_origins": ["https://Shop.Example.com"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["allowed_origins"] == ["https://shop.example.com"]
    tenant.refresh_from_db()
    assert tenant.name == "Acme 2"
    assert tenant.site_domain == "example.com"  # untouched


@pytest.mark.parametrize("client", ["operator_api", "analyst_api"])
def test_only_admins_can_patch_the_tenant(request, tenant, client):
    response = request.getfixturevalue(client).patch(_url(tenant), {"name": "X"}, format="json")
    _assert_error(response, 403, "permission_denied")
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


def test_patch_with_a_bad_origin_changes_nothing(admin_api, tenant):
    response = admin_api.patch(
        _url(tenant), {"name": "New", "allowed_origins": ["https://x.com/path"]}, format="json"
    )
    assert "allowed_origins.0" in _assert_error(response, 400, "invalid")["fields"]
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


# --- team -------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", ["admin_api", "operator_api", "analyst_api"])
def test_every_member_can_read_the_team(
    request,
    tenant,
    admin_user,
    operator_user,
    analyst_user,
    invitation,
    client,
    django_assert_max_num_queries,
):
    for _ in range(3):
        MembershipFactory(tenant=tenant, role=Role.ANALYST)
    api = request.getfixturevalue(client)
    with django_assert_max_num_queries(5):
        response = api.get(_url(tenant, "team/"))
    assert response.status_code == 200
    body = response.json()
    assert len(body["members"]) == 6
    mine = next(m for m in body["members"] if m["user_id"] == admin_user.pk)
    assert mine["role"] == "admin" and mine["email"] == admin_user.email and mine["joined"]
    assert body["invitations"] == [
        {
            "id": invitation.pk,
            "email": "new@example.com",
            "role": "operator",
            "expires_at": body["invitations"][0]["expires_at"],
            "is_expired": False,
            "invited_by": admin_user.pk,
            "created_at": body["invitations"][0]["created_at"],
        }
    ]


def test_admin_invites_by_email_and_never_sees_the_token(
    admin_api, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            _url(tenant, "team/invitations/"),
            {"email": "New@Example.com", "role": "analyst"},
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "role",
        "expires_at",
        "is_expired",
        "invited_by",
        "created_at",
    }
    assert (body["email"], body["role"]) == ("new@example.com", "analyst")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]
    assert Invitation.objects.for_tenant(tenant).get().token_hash not in str(body)


@pytest.mark.parametrize("client", ["operator_api", "analyst_api"])
def test_only_admins_can_invite(request, tenant, client):
    response = request.getfixturevalue(client).post(
        _url(tenant, "team/invitations/"),
        {"email": "x@example.com", "role": "analyst"},
        format="json",
    )
    _assert_error(response, 403, "permission_denied")
    assert not Invitation.objects.for_tenant(tenant).exists()


def test_inviting_a_member_is_a_conflict(admin_api, tenant, operator_user):
    response = admin_api.post(
        _url(tenant, "team/invitations/"),
        {"email": operator_user.email.upper(), "role": "analyst"},
        format="json",
    )
    _assert_error(response, 409, "already_member")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"email": "x@example.com", "role": "owner"}, "role"), ({"role": "analyst"}, "email")],
)
def test_invitation_rejects_bad_input(admin_api, tenant, body, field):
    response = admin_api.post(_url(tenant, "team/invitations/"), body, format="json")
    assert field in _assert_error(response, 400, "invalid")["fields"]


def test_admin_revokes_an_invitation(admin_api, tenant, invitation):
    response = admin_api.delete(_url(tenant, f"team/invitations/{invitation.pk}/"))
    assert response.status_code == 204
    assert not Invitation.objects.for_tenant(tenant).exists()


@pytest.mark.parametrize("client", ["operator_api", "analyst_api"])
def test_only_admins_revoke_invitations(request, tenant, invitation, client):
    response = request.getfixturevalue(client).delete(
        _url(tenant, f"team/invitations/{invitation.pk}/")
    )
    _assert_error(response, 403, "permission_denied")
    assert Invitation.objects.for_tenant(tenant).exists()


def test_another_tenants_invitation_is_not_found(admin_api, tenant, other_tenant):
    foreign = InvitationFactory(tenant=other_tenant)
    response = admin_api.delete(_url(tenant, f"team/invitations/{foreign.pk}/"))
    _assert_error(response, 404, "not_found")
    assert Invitation.objects.for_tenant(other_tenant).exists()


def test_admin_changes_a_members_role(admin_api, tenant, operator_user):
    response = admin_api.patch(
        _url(tenant, f"team/{operator_user.pk}/"), {"role": "analyst"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "analyst"
    assert _members(tenant)[operator_user.pk] == "analyst"


@pytest.mark.parametrize("client", ["operator_api", "analyst_api"])
def test_only_admins_change_roles(request, tenant, admin_user, analyst_user, client):
    response = request.getfixturevalue(client).patch(
        _url(tenant, f"team/{analyst_user.pk}/"), {"role": "admin"}, format="json"
    )
    _assert_error(response, 403, "permission_denied")
    assert _members(tenant)[analyst_user.pk] == "analyst"


def test_the_last_admin_cannot_be_demoted(admin_api, tenant, admin_user):
    response = admin_api.patch(
        _url(tenant, f"team/{admin_user.pk}/"), {"role": "operator"}, format="json"
    )
    _assert_error(response, 409, "last_admin")
    assert _members(tenant)[admin_user.pk] == "admin"


def test_an_empty_role_patch_changes_nothing(admin_api, tenant, operator_user, outsider):
    # PATCH is partial (as the schema documents it): {} was a 400 "role: required"
    path = _url(tenant, f"team/{operator_user.pk}/")
    response = admin_api.patch(path, {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "operator"
    assert (
        admin_api.patch(_url(tenant, f"team/{outsider.pk}/"), {}, format="json").status_code == 404
    )


def test_role_change_rejects_an_unknown_role(admin_api, tenant, operator_user):
    response = admin_api.patch(
        _url(tenant, f"team/{operator_user.pk}/"), {"role": "owner"}, format="json"
    )
    assert "role" in _assert_error(response, 400, "invalid")["fields"]


def test_a_user_of_another_tenant_is_not_a_member_here(admin_api, tenant, outsider):
    response = admin_api.patch(
        _url(tenant, f"team/{outsider.pk}/"), {"role": "analyst"}, format="json"
    )
    _assert_error(response, 404, "not_found")
    _assert_error(admin_api.delete(_url(tenant, f"team/{outsider.pk}/")), 404, "not_found")


def test_admin_removes_a_member(admin_api, tenant, operator_user):
    assert admin_api.delete(_url(tenant, f"team/{operator_user.pk}/")).status_code == 204
    assert operator_user.pk not in _members(tenant)


def test_a_non_admin_cannot_remove_others(operator_api, tenant, analyst_user):
    response = operator_api.delete(_url(tenant, f"team/{analyst_user.pk}/"))
    _assert_error(response, 403, "permission_denied")
    assert analyst_user.pk in _members(tenant)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.OPERATOR])
def test_any_member_can_leave(tenant, admin_user, role):
    user = MembershipFactory(tenant=tenant, role=role).user
    response = api_client_for(user).delete(_url(tenant, f"team/{user.pk}/"))
    assert response.status_code == 204
    assert user.pk not in _members(tenant)


def test_the_last_admin_cannot_leave(admin_api, tenant, admin_user):
    _assert_error(admin_api.delete(_url(tenant, f"team/{admin_user.pk}/")), 409, "last_admin")
    assert admin_user.pk in _members(tenant)


def test_an_admin_can_leave_when_another_admin_remains(admin_api, tenant, admin_user):
    MembershipFactory(tenant=tenant, role=Role.ADMIN)
    assert admin_api.delete(_url(tenant, f"team/{admin_user.pk}/")).status_code == 204


# --- accepting invitations ----------------------------------------------------------------


def test_invited_user_accepts_and_joins_with_the_invited_role(tenant, invitation):
    user = UserFactory(email="New@example.com")
    response = api_client_for(user).post(ACCEPT, {"token": invitation.token}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(tenant.id) and response.json()["role"] == "operator"
    assert _members(tenant)[user.pk] == "operator"


def test_an_expired_invitation_answers_410(tenant, invitation):
    Invitation.objects.for_tenant(tenant).update(expires_at=timezone.now() - timedelta(minutes=1))
    user = UserFactory(email="new@example.com")
    response = api_client_for(user).post(ACCEPT, {"token": invitation.token}, format="json")
    _assert_error(response, 410, "invitation_expired")
    assert user.pk not in _members(tenant)


def test_a_used_invitation_answers_409(tenant, invitation):
    user = UserFactory(email="new@example.com")
    client = api_client_for(user)
    assert client.post(ACCEPT, {"token": invitation.token}, format="json").status_code == 200
    _assert_error(
        client.post(ACCEPT, {"token": invitation.token}, format="json"), 409, "invitation_used"
    )


def test_an_invitation_for_another_email_answers_403(tenant, invitation):
    user = UserFactory(email="someone-else@example.com")
    response = api_client_for(user).post(ACCEPT, {"token": invitation.token}, format="json")
    _assert_error(response, 403, "invitation_wrong_email")
    assert user.pk not in _members(tenant)


def test_an_unknown_invitation_answers_404():
    response = api_client_for(UserFactory()).post(ACCEPT, {"token": "nope"}, format="json")
    _assert_error(response, 404, "invitation_invalid")


def test_accepting_needs_authentication(api_client, invitation):
    _assert_error(
        api_client.post(ACCEPT, {"token": invitation.token}, format="json"),
        401,
        "not_authenticated",
    )


# --- isolation and authentication on every tenant route -----------------------------------

TENANT_ROUTES = [
    ("get", ""),
    ("patch", ""),
    ("get", "team/"),
    ("post", "team/invitations/"),
    ("delete", "team/invitations/{invitation}/"),
    ("patch", "team/{member}/"),
    ("delete", "team/{member}/"),
]


def _route(tenant, suffix, invitation, member):
    return _url(tenant, suffix.format(invitation=invitation.pk, member=member.pk))


@pytest.mark.parametrize(("method", "suffix"), TENANT_ROUTES)
def test_another_tenants_admin_gets_404_on_every_route(
    outsider_api, tenant, invitation, operator_user, method, suffix
):
    url = _route(tenant, suffix, invitation, operator_user)
    body = {"name": "X", "email": "x@example.com", "role": "admin"}
    response = getattr(outsider_api, method)(url, body, format="json")
    _assert_error(response, 404, "not_found")
    assert _members(tenant)[operator_user.pk] == "operator"
    assert Invitation.objects.for_tenant(tenant).count() == 1


@pytest.mark.parametrize(("method", "suffix"), TENANT_ROUTES)
def test_unauthenticated_gets_401_on_every_route(
    api_client, tenant, invitation, operator_user, method, suffix
):
    url = _route(tenant, suffix, invitation, operator_user)
    response = getattr(api_client, method)(url, {}, format="json")
    _assert_error(response, 401, "not_authenticated")


def test_unauthenticated_gets_401_on_the_tenant_list(api_client):
    _assert_error(api_client.get(TENANTS), 401, "not_authenticated")
    _assert_error(api_client.post(TENANTS, {"name": "X"}, format="json"), 401, "not_authenticated")


def test_unknown_api_route_answers_404_in_the_error_shape(admin_api):
    _assert_error(admin_api.get("/api/v1/no-such-route/"), 404, "not_found")
