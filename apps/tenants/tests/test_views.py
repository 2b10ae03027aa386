"""Dashboard pages of a company: create, team (HTMX), settings, invitation acceptance."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.tenants import services
from apps.tenants.dashboard import LAST_TENANT_SESSION_KEY
from apps.tenants.models import AuditLogEntry, Invitation, Membership, Tenant
from apps.tenants.roles import Role
from apps.tenants.scoping import unscoped_scope
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

HX = {"HTTP_HX_REQUEST": "true"}


def team_url(tenant, name="tenants:team", **kwargs):
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


def invite(tenant, actor, email="new@example.com", role=Role.OPERATOR):
    return services.invitation_create(tenant=tenant, actor=actor, email=email, role=role)


def membership_of(tenant, user):
    return Membership.objects.unscoped().filter(tenant=tenant, user=user).first()


# --- Create a company ---------------------------------------------------------------------


@pytest.mark.django_db
def test_tenant_create_page_prefills_the_company_from_sign_up(client):
    user = UserFactory(company="Ромашка")
    client.force_login(user)

    response = client.get(reverse("tenants:create"))

    assert response.status_code == 200
    assert 'value="Ромашка"' in response.content.decode()


@pytest.mark.django_db
def test_tenant_create_makes_the_user_admin_and_opens_the_overview(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("tenants:create"),
        {
            "name": "Ромашка",
            "site_domain": "https://Romashka.ru/",
            "allowed_origins": "https://romashka.ru\n\nhttps://shop.romashka.ru/\n",
        },
    )

    tenant = Tenant.objects.get(name="Ромашка")
    assert response.status_code == 302
    assert response["Location"] == f"/t/{tenant.slug}/"
    assert tenant.site_domain == "romashka.ru"
    assert tenant.allowed_origins == ["https://romashka.ru", "https://shop.romashka.ru"]
    assert membership_of(tenant, user).role == Role.ADMIN
    assert client.session[LAST_TENANT_SESSION_KEY] == tenant.slug


@pytest.mark.django_db
def test_tenant_create_shows_a_bad_origin_on_its_field(client):
    client.force_login(UserFactory())

    response = client.post(
        reverse("tenants:create"), {"name": "Acme", "allowed_origins": "ftp://acme.ru/path"}
    )

    assert response.status_code == 400
    assert "ftp://acme.ru/path" in response.context["form"].errors["allowed_origins"][0]
    assert not Tenant.objects.filter(name="Acme").exists()


@pytest.mark.django_db
def test_tenant_create_shows_the_own_companies_limit_with_the_upgrade(client):
    user = UserFactory()
    own = services.tenant_create(user=user, name="Own")
    MembershipFactory(user=user, role=Role.ADMIN)  # joined by invitation: does not count
    client.force_login(user)

    page = client.get(reverse("tenants:create"))
    response = client.post(reverse("tenants:create"), {"name": "Second"})

    assert page.context["at_limit"] is True
    html = page.content.decode()
    assert "data-tenant-limit" in html and f"/t/{own.slug}/billing/#plans-title" in html
    assert "«Про»" in html
    assert response.status_code == 403
    assert (
        response.context["form"]
        .non_field_errors()[0]
        .startswith("Ваш тариф позволяет 1 собственную компанию.")
    )
    assert "alert-error" in response.content.decode()
    assert not Tenant.objects.filter(name="Second").exists()


def test_tenant_create_needs_login(client):
    response = client.get(reverse("tenants:create"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Team page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_fixture", ["admin_client_web", "operator_client_web", "analyst_client_web"]
)
def test_team_page_lists_members_and_invitations_for_every_role(
    request, client_fixture, tenant, admin_user
):
    client = request.getfixturevalue(client_fixture)
    invitation, _token = invite(tenant, admin_user, email="pending@example.com")

    response = client.get(team_url(tenant))

    body = response.content.decode()
    assert response.status_code == 200
    assert admin_user.email in body
    assert invitation.email in body
    assert ("Отправить приглашение" in body) is (client_fixture == "admin_client_web")
    assert ('name="role"' in body) is (client_fixture == "admin_client_web")


def test_team_page_of_another_tenant_is_not_found(outsider_client_web, tenant):
    for name, kwargs in [
        ("tenants:team", {}),
        ("tenants:settings", {}),
        ("tenants:invitation_create", {}),
        ("tenants:leave", {}),
        ("tenants:member_role", {"user_id": 1}),
        ("tenants:member_remove", {"user_id": 1}),
        ("tenants:invitation_resend", {"invitation_id": 1}),
        ("tenants:invitation_revoke", {"invitation_id": 1}),
    ]:
        url = reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})
        assert outsider_client_web.get(url).status_code == 404, url
        assert outsider_client_web.post(url, {"role": "admin"}).status_code == 404, url


def test_team_page_needs_login(client, tenant):
    response = client.get(team_url(tenant))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def count_queries(callback) -> int:
    with CaptureQueriesContext(connection) as captured:
        callback()
    return len(captured)


def grow_team(tenant, admin_user, members=11, invitations=5):
    for n in range(members):
        MembershipFactory(tenant=tenant, role=[Role.OPERATOR, Role.ANALYST, Role.ADMIN][n % 3])
    for n in range(invitations):
        invite(tenant, admin_user, email=f"p{n}@example.com")


def test_team_page_query_count_is_small_and_does_not_grow_with_the_team(
    admin_client_web, tenant, admin_user, django_assert_max_num_queries
):
    # given the page of a one-person team (the first visit also saves the last used tenant)
    admin_client_web.get(team_url(tenant))
    small = count_queries(lambda: admin_client_web.get(team_url(tenant)))

    # when the team grows to 12 people and 5 pending invitations
    grow_team(tenant, admin_user)

    # then the page runs no more queries than before: session, user, membership, tenant
    # switcher, members with their users, invitations with their inviters (plus whatever the
    # project's middleware adds, the same for every page)
    with django_assert_max_num_queries(small):
        response = admin_client_web.get(team_url(tenant))
    assert response.status_code == 200
    assert len(response.context["members"]) == 12
    assert len(response.context["invitations"]) == 5
    assert small <= 10


def test_team_partials_query_count_does_not_grow_with_the_team(
    admin_client_web, tenant, admin_user, django_assert_max_num_queries
):
    member = MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    role_url = team_url(tenant, "tenants:member_role", user_id=member.user_id)
    invite_url = team_url(tenant, "tenants:invitation_create")
    admin_client_web.get(team_url(tenant))

    small_role = count_queries(
        lambda: admin_client_web.post(role_url, {"role": Role.ANALYST}, **HX)
    )
    small_invite = count_queries(
        lambda: admin_client_web.post(invite_url, {"email": "a@x.ru", "role": "analyst"}, **HX)
    )
    grow_team(tenant, admin_user)

    with django_assert_max_num_queries(small_role):
        admin_client_web.post(role_url, {"role": Role.OPERATOR}, **HX)
    with django_assert_max_num_queries(small_invite):
        admin_client_web.post(invite_url, {"email": "b@x.ru", "role": "analyst"}, **HX)


# --- Team actions over HTMX ---------------------------------------------------------------


def test_invite_over_htmx_returns_the_invitations_partial_and_sends_mail(
    admin_client_web, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_web.post(
            team_url(tenant, "tenants:invitation_create"),
            {"email": "Colleague@Example.com", "role": Role.ANALYST},
            **HX,
        )

    body = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "tenants/_invitations.html"
    assert "<html" not in body
    assert 'id="invitations"' in body
    assert "colleague@example.com" in body
    assert "Приглашение отправлено на colleague@example.com." in body
    invitation = Invitation.objects.for_tenant(tenant).get()
    assert invitation.role == Role.ANALYST
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["colleague@example.com"]
    assert message.subject == "Приглашение в команду «Acme» в Fast Lead"
    assert "с ролью «Аналитик»" in message.body
    assert "/invitations/" in message.body
    html = message.alternatives[0][0]
    assert "Принять приглашение" in html


def test_invite_of_a_member_rerenders_the_partial_with_the_error(
    admin_client_web, tenant, operator_user
):
    response = admin_client_web.post(
        team_url(tenant, "tenants:invitation_create"),
        {"email": operator_user.email, "role": Role.OPERATOR},
        **HX,
    )

    assert response.status_code == 409
    assert "Этот человек уже состоит в команде." in response.content.decode()
    assert not Invitation.objects.for_tenant(tenant).exists()


def test_invite_with_a_bad_email_shows_the_field_error(admin_client_web, tenant):
    response = admin_client_web.post(
        team_url(tenant, "tenants:invitation_create"), {"email": "nope", "role": "admin"}, **HX
    )

    assert response.status_code == 400
    assert response.context["invite_form"].errors["email"]


def test_invite_without_htmx_redirects_back_with_a_message(admin_client_web, tenant):
    response = admin_client_web.post(
        team_url(tenant, "tenants:invitation_create"),
        {"email": "x@example.com", "role": Role.OPERATOR},
        follow=True,
    )

    assert response.redirect_chain == [(team_url(tenant), 302)]
    assert "Приглашение отправлено на x@example.com." in response.content.decode()


def test_resend_replaces_the_token_and_sends_again(
    admin_client_web, tenant, admin_user, django_capture_on_commit_callbacks
):
    invitation, _old_token = invite(tenant, admin_user)
    old_hash = invitation.token_hash

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_web.post(
            team_url(tenant, "tenants:invitation_resend", invitation_id=invitation.pk), **HX
        )

    invitation.refresh_from_db()
    assert response.status_code == 200
    assert "Приглашение повторно отправлено" in response.content.decode()
    assert invitation.token_hash != old_hash
    assert len(mail.outbox) == 1


def test_revoke_removes_the_invitation_from_the_partial(admin_client_web, tenant, admin_user):
    invitation, _token = invite(tenant, admin_user, email="gone@example.com")

    response = admin_client_web.post(
        team_url(tenant, "tenants:invitation_revoke", invitation_id=invitation.pk), **HX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Приглашение для gone@example.com отозвано." in body
    assert 'id="invitation-' not in body
    assert not Invitation.objects.for_tenant(tenant).exists()


def test_revoke_of_another_tenants_invitation_is_not_found(
    admin_client_web, tenant, other_tenant, outsider
):
    foreign, _token = invite(other_tenant, outsider)

    response = admin_client_web.post(
        team_url(tenant, "tenants:invitation_revoke", invitation_id=foreign.pk), **HX
    )

    assert response.status_code == 404
    with unscoped_scope():
        assert Invitation.objects.filter(pk=foreign.pk).exists()


def test_change_role_over_htmx(admin_client_web, tenant, operator_user):
    response = admin_client_web.post(
        team_url(tenant, "tenants:member_role", user_id=operator_user.pk),
        {"role": Role.ANALYST},
        **HX,
    )

    assert response.status_code == 200
    assert response.templates[0].name == "tenants/_team_members.html"
    assert 'id="team-members"' in response.content.decode()
    assert membership_of(tenant, operator_user).role == Role.ANALYST


def test_last_admin_cannot_demote_themselves(admin_client_web, tenant, admin_user):
    response = admin_client_web.post(
        team_url(tenant, "tenants:member_role", user_id=admin_user.pk),
        {"role": Role.OPERATOR},
        **HX,
    )

    assert response.status_code == 409
    assert "Последнего администратора нельзя" in response.content.decode()
    assert membership_of(tenant, admin_user).role == Role.ADMIN


def test_change_role_rejects_an_unknown_role(admin_client_web, tenant, operator_user):
    response = admin_client_web.post(
        team_url(tenant, "tenants:member_role", user_id=operator_user.pk),
        {"role": "owner"},
        **HX,
    )

    assert response.status_code == 400
    assert membership_of(tenant, operator_user).role == Role.OPERATOR


def test_admin_who_demotes_themselves_sees_a_read_only_list(admin_client_web, tenant, admin_user):
    MembershipFactory(tenant=tenant, role=Role.ADMIN)

    response = admin_client_web.post(
        team_url(tenant, "tenants:member_role", user_id=admin_user.pk),
        {"role": Role.OPERATOR},
        **HX,
    )

    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert 'name="role"' not in response.content.decode()


def test_remove_member_over_htmx(admin_client_web, tenant, operator_user):
    response = admin_client_web.post(
        team_url(tenant, "tenants:member_remove", user_id=operator_user.pk), **HX
    )

    assert response.status_code == 200
    assert operator_user.email not in response.content.decode()
    assert membership_of(tenant, operator_user) is None


def test_remove_of_a_user_from_another_tenant_is_not_found(admin_client_web, tenant, outsider):
    response = admin_client_web.post(
        team_url(tenant, "tenants:member_remove", user_id=outsider.pk), **HX
    )

    assert response.status_code == 404


@pytest.mark.parametrize("client_fixture", ["operator_client_web", "analyst_client_web"])
def test_non_admins_cannot_change_the_team(request, client_fixture, tenant, admin_user):
    client = request.getfixturevalue(client_fixture)
    invitation, _token = invite(tenant, admin_user)
    posts = [
        (team_url(tenant, "tenants:invitation_create"), {"email": "a@b.ru", "role": "admin"}),
        (team_url(tenant, "tenants:invitation_resend", invitation_id=invitation.pk), {}),
        (team_url(tenant, "tenants:invitation_revoke", invitation_id=invitation.pk), {}),
        (team_url(tenant, "tenants:member_role", user_id=admin_user.pk), {"role": "analyst"}),
        (team_url(tenant, "tenants:member_remove", user_id=admin_user.pk), {}),
    ]
    for url, data in posts:
        response = client.post(url, data, **HX)
        assert response.status_code == 403, url
        assert response["Content-Type"].startswith("text/plain")
        plain = client.post(url, data)
        assert plain.status_code == 403, url
        assert "Доступ запрещён" in plain.content.decode()
    assert membership_of(tenant, admin_user).role == Role.ADMIN
    assert Invitation.objects.for_tenant(tenant).count() == 1


def test_member_can_leave_the_company(operator_client_web, tenant, operator_user):
    response = operator_client_web.post(team_url(tenant, "tenants:leave"), **HX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("web:home")
    assert membership_of(tenant, operator_user) is None


def test_last_admin_cannot_leave(admin_client_web, tenant, admin_user):
    response = admin_client_web.post(team_url(tenant, "tenants:leave"), **HX)

    assert response.status_code == 409
    assert "Последний администратор не может" in response.content.decode()
    assert membership_of(tenant, admin_user) is not None


def test_team_actions_refuse_get(admin_client_web, tenant):
    assert admin_client_web.get(team_url(tenant, "tenants:invitation_create")).status_code == 405


def test_expired_htmx_session_reloads_the_page(client, tenant):
    response = client.post(team_url(tenant, "tenants:invitation_create"), **HX)

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


# --- Company settings ---------------------------------------------------------------------


def test_admin_edits_company_settings(admin_client_web, tenant):
    response = admin_client_web.post(
        team_url(tenant, "tenants:settings"),
        {"name": "Acme 2", "site_domain": "acme.ru", "allowed_origins": "https://acme.ru"},
    )

    tenant.refresh_from_db()
    assert response.status_code == 302
    assert (tenant.name, tenant.site_domain) == ("Acme 2", "acme.ru")
    assert tenant.allowed_origins == ["https://acme.ru"]


def test_admin_sets_the_time_zone_and_the_change_is_audited(admin_client_web, tenant):
    form = {
        "name": "Acme",
        "site_domain": tenant.site_domain,
        "allowed_origins": "\n".join(tenant.allowed_origins),
    }
    page = admin_client_web.get(team_url(tenant, "tenants:settings")).content.decode()
    assert '<option value="Asia/Yekaterinburg">' in page
    assert '<option value="Europe/Moscow" selected>' in page

    response = admin_client_web.post(
        team_url(tenant, "tenants:settings"), {**form, "time_zone": "Asia/Yekaterinburg"}
    )

    tenant.refresh_from_db()
    assert response.status_code == 302
    assert tenant.time_zone == "Asia/Yekaterinburg"
    entry = AuditLogEntry.objects.unscoped().get(tenant=tenant, action="tenant_settings_changed")
    assert entry.before == {"time_zone": "Europe/Moscow"}
    assert entry.after == {"time_zone": "Asia/Yekaterinburg"}


def test_an_unknown_time_zone_is_a_field_error(admin_client_web, tenant):
    response = admin_client_web.post(
        team_url(tenant, "tenants:settings"), {"name": "Acme", "time_zone": "Mars/Olympus"}
    )

    tenant.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors["time_zone"]
    assert tenant.time_zone == "Europe/Moscow"
    assert not AuditLogEntry.objects.unscoped().filter(tenant=tenant).exists()


def test_settings_show_a_bad_origin_and_keep_the_old_values(admin_client_web, tenant):
    response = admin_client_web.post(
        team_url(tenant, "tenants:settings"),
        {"name": "Renamed", "allowed_origins": "acme.ru/path"},
    )

    tenant.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors["allowed_origins"]
    assert tenant.name == "Acme"
    assert "Renamed" not in response.content.decode().split("<main")[0]


@pytest.mark.parametrize("client_fixture", ["operator_client_web", "analyst_client_web"])
def test_non_admins_read_settings_but_cannot_save(request, client_fixture, tenant):
    client = request.getfixturevalue(client_fixture)

    page = client.get(team_url(tenant, "tenants:settings"))
    post = client.post(team_url(tenant, "tenants:settings"), {"name": "Hacked"})

    tenant.refresh_from_db()
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "https://example.com" in page.content.decode()
    assert post.status_code == 403
    assert tenant.name == "Acme"


# --- Invitation acceptance ----------------------------------------------------------------


@pytest.fixture
def invitation_token(tenant, admin_user):
    _invitation, token = invite(tenant, admin_user, email="invitee@example.com")
    return token


def accept_url(token):
    return reverse("tenants:invitation_accept", args=[token])


def test_signed_in_invitee_sees_the_invitation_and_accepts_it(client, tenant, invitation_token):
    user = UserFactory(email="invitee@example.com")
    client.force_login(user)

    page = client.get(accept_url(invitation_token))
    response = client.post(accept_url(invitation_token))

    assert page.status_code == 200
    assert page.context["state"] == "ready"
    assert "Acme" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"/t/{tenant.slug}/"
    assert membership_of(tenant, user).role == Role.OPERATOR


def test_anonymous_visitor_is_offered_login_and_sign_up(client, invitation_token):
    response = client.get(accept_url(invitation_token))

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["state"] == "anonymous"
    assert client.session[PENDING_INVITATION_SESSION_KEY] == invitation_token
    assert client.session["account_verified_email"] == "invitee@example.com"
    assert "email=invitee%40example.com" in body


def test_existing_user_logs_in_and_the_invitation_is_accepted(client, tenant, invitation_token):
    user = UserFactory(email="invitee@example.com")
    client.get(accept_url(invitation_token))

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"/t/{tenant.slug}/"
    assert membership_of(tenant, user).role == Role.OPERATOR
    assert PENDING_INVITATION_SESSION_KEY not in client.session
    assert not client.session.get("account_verified_email")


def test_new_user_signs_up_without_a_second_confirmation_and_joins(
    client, tenant, invitation_token
):
    # given an anonymous visitor who followed the invitation link
    page = client.get(accept_url(invitation_token))
    signup = client.get(reverse("account_signup") + "?email=invitee%40example.com")
    assert page.status_code == 200
    assert signup.context["form"].initial["email"] == "invitee@example.com"
    # and they are not asked for a company of their own: they join the inviting one
    assert "company" not in signup.context["form"].fields
    assert 'name="company"' not in signup.content.decode()

    # when they sign up with the invited address
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Ива Новая",
            "email": "invitee@example.com",
            "password1": "a-long-Secret-42",
        },
        follow=True,
    )

    # then they are signed in, confirmed and inside the tenant
    assert response.redirect_chain[-1][0] == f"/t/{tenant.slug}/"
    assert len(mail.outbox) == 0
    with unscoped_scope():
        membership = Membership.objects.get(tenant=tenant, user__email="invitee@example.com")
    assert membership.user.emailaddress_set.get().verified is True
    assert not Tenant.objects.filter(created_by=membership.user).exists()


def test_expired_invitation_has_a_clear_page(client, tenant, admin_user):
    invitation, token = invite(tenant, admin_user)
    Invitation.objects.unscoped().filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = client.get(accept_url(token))

    assert response.status_code == 410
    assert "Срок действия приглашения истёк" in response.content.decode()
    assert PENDING_INVITATION_SESSION_KEY not in client.session


def test_used_invitation_cannot_be_reused(client, tenant, invitation_token):
    first = UserFactory(email="invitee@example.com")
    services.invitation_accept(token=invitation_token, user=first)
    client.force_login(UserFactory())

    response = client.post(accept_url(invitation_token))

    assert response.status_code == 409
    assert "Приглашение уже использовано" in response.content.decode()


@pytest.mark.django_db
def test_unknown_invitation_link(client):
    response = client.get(accept_url("not-a-real-token"))

    assert response.status_code == 404
    assert "Ссылка-приглашение недействительна" in response.content.decode()


def test_invitation_for_another_email_is_refused(client, tenant, invitation_token):
    stranger = UserFactory(email="stranger@example.com")
    client.force_login(stranger)

    page = client.get(accept_url(invitation_token))
    response = client.post(accept_url(invitation_token))

    assert page.context["state"] == "wrong_email"
    assert "stranger@example.com" in page.content.decode()
    assert response.status_code == 403
    assert "на другой адрес" in response.content.decode()
    assert membership_of(tenant, stranger) is None


def test_member_opening_the_invitation_is_told_so(client, tenant, admin_user):
    _invitation, token = invite(tenant, admin_user, email="dual@example.com")
    other = TenantFactory()
    user = UserFactory(email="dual@example.com")
    MembershipFactory(tenant=tenant, user=user)
    MembershipFactory(tenant=other, user=user)
    client.force_login(user)

    response = client.get(accept_url(token))

    assert response.context["state"] == "member"


@pytest.mark.django_db
def test_resume_without_a_pending_invitation_goes_home(client):
    client.force_login(UserFactory())

    response = client.get(reverse("tenants:invitation_resume"))

    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
