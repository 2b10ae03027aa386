"""Account API: registration, e-mail confirmation, login limits, JWT refresh, the profile."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from apps.accounts.models import User
from apps.tenants.roles import Role
from conftest import api_client_for
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
CONFIRM = "/api/v1/auth/confirm-email"
RESEND = "/api/v1/auth/resend-confirmation"
ME = "/api/v1/me"


def _register(client, **overrides):
    body = {
        "email": "Anna@Example.com",
        "password": PASSWORD,
        "name": "Анна Петрова",
        "company": "Ромашка",
        **overrides,
    }
    return client.post(REGISTER, body, format="json")


def _login(client, email, password=PASSWORD, ip="10.0.0.1"):
    return client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def _key_from_mail(message) -> str:
    return re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body).group(1)


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


# --- registration -------------------------------------------------------------------------


def test_register_creates_unverified_account_mails_a_link_and_returns_tokens(api_client):
    # when
    response = _register(api_client)
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get()
    assert body["user"] == {
        "id": user.pk,
        "email": "anna@example.com",
        "name": "Анна Петрова",
        "company": "Ромашка",
        "email_verified": False,
    }
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.primary, address.verified) == ("anna@example.com", True, False)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.com"]
    assert _key_from_mail(mail.outbox[0])
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.get(ME).json()["email"] == "anna@example.com"
    assert body["refresh"]
    assert "sessionid" not in response.cookies  # an API client gets no session


def test_register_logs_the_domain_event_with_ids_only(api_client, monkeypatch):
    events = []
    monkeypatch.setattr(
        "apps.accounts.services.log_event", lambda name, **kw: events.append((name, kw))
    )
    _register(api_client)
    assert events == [("user_registered", {"user_id": User.objects.get().pk, "via": "api"})]


def test_register_reports_every_missing_field(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    error = _assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"email", "password", "name", "company"}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "12345678"}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "anna@example.com"}, "password"),
        ({"is_staff": True}, "is_staff"),
    ],
)
def test_register_rejects_bad_fields(api_client, overrides, field):
    error = _assert_error(_register(api_client, **overrides), 400, "invalid")
    assert field in error["fields"]
    assert not User.objects.exists()
    assert mail.outbox == []


def test_register_with_a_taken_email_answers_409_case_insensitively(api_client):
    UserFactory(email="anna@example.com")
    error = _assert_error(_register(api_client, email="ANNA@example.COM"), 409, "email_taken")
    assert "email" in error["fields"]
    assert User.objects.count() == 1
    assert mail.outbox == []


# --- e-mail confirmation ------------------------------------------------------------------


def test_confirm_email_with_the_mailed_key_verifies_the_address(api_client):
    _register(api_client)
    key = _key_from_mail(mail.outbox[0])
    response = api_client.post(CONFIRM, {"key": key}, format="json")
    assert response.status_code == 200
    assert response.json() == {"email_verified": True}
    assert EmailAddress.objects.get().verified
    # the key works once
    _assert_error(
        api_client.post(CONFIRM, {"key": key}, format="json"), 404, "confirmation_invalid"
    )


def test_register_then_confirm_creates_the_named_company(api_client):
    # given
    tokens = _register(api_client).json()
    key = _key_from_mail(mail.outbox[0])
    # when
    api_client.post(CONFIRM, {"key": key}, format="json")
    # then: /me lists the company, with the user as its administrator
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get(ME).json()
    assert [(t["name"], t["role"]) for t in me["memberships"]] == [("Ромашка", Role.ADMIN)]


def test_confirm_email_rejects_bad_and_missing_keys(api_client):
    _assert_error(
        api_client.post(CONFIRM, {"key": "nope"}, format="json"), 404, "confirmation_invalid"
    )
    _assert_error(api_client.post(CONFIRM, {}, format="json"), 400, "invalid")


def test_resend_confirmation_mails_a_new_link_to_an_unverified_user():
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    response = api_client_for(user).post(RESEND)
    assert response.status_code == 202
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]


def test_resend_confirmation_for_a_verified_user_is_a_conflict():
    _assert_error(api_client_for(UserFactory()).post(RESEND), 409, "already_verified")


def test_resend_confirmation_needs_authentication(api_client):
    _assert_error(api_client.post(RESEND), 401, "not_authenticated")


# --- login ----------------------------------------------------------------------------------


def test_login_returns_tokens_and_the_user(api_client):
    user = UserFactory(email="anna@example.com")
    response = _login(api_client, "Anna@Example.com")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == user.pk and body["user"]["email_verified"] is True
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize("email", ["anna@example.com", "nobody@example.com"])
def test_login_with_bad_credentials_answers_401(api_client, email):
    UserFactory(email="anna@example.com")
    _assert_error(_login(api_client, email, "wrong-password"), 401, "invalid_credentials")


def test_login_of_an_inactive_user_answers_401(api_client):
    user = UserFactory(is_active=False)
    response = _login(api_client, user.email)
    assert response.status_code == 401
    assert "access" not in response.json()


def test_login_with_an_unverified_email_answers_403_and_mails_a_link(api_client):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    _assert_error(_login(api_client, user.email), 403, "email_not_verified")
    assert len(mail.outbox) == 1


def test_login_is_blocked_after_five_failures_for_the_same_account(api_client):
    user = UserFactory()
    for _ in range(5):
        _assert_error(_login(api_client, user.email, "wrong"), 401, "invalid_credentials")
    # even the right password is refused now
    _assert_error(_login(api_client, user.email), 429, "too_many_login_attempts")


def test_login_limit_is_per_account_and_ip(api_client):
    victim = UserFactory()
    bystander = UserFactory()
    for _ in range(5):
        _login(api_client, victim.email, "wrong", ip="10.0.0.1")
    _assert_error(_login(api_client, victim.email, ip="10.0.0.1"), 429, "too_many_login_attempts")
    assert _login(api_client, victim.email, ip="10.0.0.2").status_code == 200
    assert _login(api_client, bystander.email, ip="10.0.0.1").status_code == 200


def test_login_limit_is_shared_with_the_web_login_form(client, api_client):
    user = UserFactory()
    for _ in range(3):
        client.post(
            reverse("account_login"),
            {"login": user.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )
    for _ in range(2):
        _login(api_client, user.email, "wrong")
    _assert_error(_login(api_client, user.email), 429, "too_many_login_attempts")


def test_successful_logins_do_not_reset_the_failure_count(api_client):
    user = UserFactory()
    for _ in range(4):
        _login(api_client, user.email, "wrong")
    assert _login(api_client, user.email).status_code == 200
    _login(api_client, user.email, "wrong")
    _assert_error(_login(api_client, user.email), 429, "too_many_login_attempts")


def test_an_ip_has_a_failure_ceiling_across_accounts(api_client, settings):
    settings.LOGIN_FAILURES_PER_IP = 3
    users = [UserFactory() for _ in range(4)]
    for user in users[:3]:
        _assert_error(_login(api_client, user.email, "wrong"), 401, "invalid_credentials")
    _assert_error(_login(api_client, users[3].email), 429, "too_many_login_attempts")
    assert _login(api_client, users[3].email, ip="10.0.0.2").status_code == 200


def test_login_rejects_unknown_fields(api_client):
    response = api_client.post(
        LOGIN, {"email": "a@example.com", "password": "x", "remember": True}, format="json"
    )
    assert "remember" in _assert_error(response, 400, "invalid")["fields"]


def test_login_and_register_have_a_per_ip_throttle(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth": "2/minute",
        },
    }
    _login(api_client, "a@example.com", "x")
    api_client.post(REGISTER, {"email": "b@example.com"}, format="json", REMOTE_ADDR="10.0.0.1")
    error = _assert_error(_login(api_client, "a@example.com", "x"), 429, "throttled")
    assert error["retry_after"] > 0


# --- refresh --------------------------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_token(api_client):
    UserFactory(email="anna@example.com")
    old = _login(api_client, "anna@example.com").json()["refresh"]
    response = api_client.post(REFRESH, {"refresh": old}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"} and body["refresh"] != old
    # reusing the rotated token fails in the error shape
    _assert_error(api_client.post(REFRESH, {"refresh": old}, format="json"), 401, "token_not_valid")
    # the new one still works, once
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}, format="json").status_code == 200


def test_refresh_rejects_garbage_and_missing_tokens(api_client):
    _assert_error(
        api_client.post(REFRESH, {"refresh": "x.y.z"}, format="json"), 401, "token_not_valid"
    )
    _assert_error(api_client.post(REFRESH, {}, format="json"), 400, "invalid")


def test_refresh_for_a_deleted_user_answers_401(api_client):
    user = UserFactory(email="anna@example.com")
    refresh = _login(api_client, "anna@example.com").json()["refresh"]
    user.delete()
    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 401


# --- me -------------------------------------------------------------------------------------


def test_me_returns_the_user_and_memberships(
    admin_api, admin_user, tenant, django_assert_max_num_queries
):
    other = TenantFactory(name="Beta")
    MembershipFactory(tenant=other, user=admin_user, role=Role.ANALYST)
    with django_assert_max_num_queries(4):
        response = admin_api.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == admin_user.pk and body["language"] == "ru"
    assert body["email_verified"] is True
    assert body["memberships"] == [
        {"id": str(tenant.id), "name": "Acme", "slug": tenant.slug, "role": "admin"},
        {"id": str(other.id), "name": "Beta", "slug": other.slug, "role": "analyst"},
    ]


def test_me_patch_changes_the_profile(admin_api, admin_user):
    response = admin_api.patch(
        ME, {"name": " Иван ", "company": "ООО Ромашка", "language": "en"}, format="json"
    )
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert (admin_user.name, admin_user.company, admin_user.language) == (
        "Иван",
        "ООО Ромашка",
        "en",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"language": "de"},
        {"email": "new@example.com"},
        # "" was stored and then answered, outside the documented ru/en (schemathesis)
        {"language": ""},
        {"name": 12},
    ],
)
def test_me_patch_rejects_bad_or_read_only_fields(admin_api, admin_user, body):
    _assert_error(admin_api.patch(ME, body, format="json"), 400, "invalid")
    admin_user.refresh_from_db()
    assert admin_user.language == "ru" and admin_user.email != "new@example.com"


def test_me_needs_authentication_in_the_error_shape(api_client):
    _assert_error(api_client.get(ME), 401, "not_authenticated")


def test_an_invalid_access_token_answers_401_with_a_plain_message(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    error = _assert_error(api_client.get(ME), 401, "token_not_valid")
    assert not error["message"].startswith("{")


def test_api_requests_are_throttled_per_user(admin_api, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"}
    )
    assert admin_api.get(ME).status_code == 200
    assert admin_api.get(ME).status_code == 200
    error = _assert_error(admin_api.get(ME), 429, "throttled")
    assert error["retry_after"] > 0
