"""A new password or "log out everywhere" ends every other session and every API token."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT_ALL = "/api/v1/auth/logout-all"
ME = "/api/v1/me"
NEW_PASSWORD = "a-new-Passw0rd-2026"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _api_login(email, password=PASSWORD) -> dict:
    response = APIClient().post(LOGIN, {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _me(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def _refresh(refresh):
    return APIClient().post(REFRESH, {"refresh": refresh}, format="json")


def _web_session(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("accounts:profile")).status_code == 200
    return client


def _assert_revoked(tokens):
    assert _me(tokens["access"]).status_code == 401
    response = _refresh(tokens["refresh"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def _assert_signed_out(web: Client):
    response = web.get(reverse("accounts:profile"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_changing_the_password_revokes_tokens_and_other_sessions_but_keeps_this_one():
    # given a user with API tokens and two browsers, from a while ago
    user = UserFactory(email="anna@example.com")
    with time_machine.travel(T0, tick=False):
        tokens = _api_login(user.email)
        other_browser = _web_session(user)
        this_browser = _web_session(user)

    # when they change the password in one browser a minute later
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        response = this_browser.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 302

        # then the old tokens and the other browser are out; this browser stays in
        _assert_revoked(tokens)
        _assert_signed_out(other_browser)
        assert this_browser.get(reverse("accounts:profile")).status_code == 200
        # and a fresh login with the new password works at once
        fresh = _api_login(user.email, NEW_PASSWORD)
        assert _me(fresh["access"]).status_code == 200


def test_resetting_a_forgotten_password_revokes_every_token():
    user = UserFactory(email="boris@example.com")
    with time_machine.travel(T0, tick=False):
        tokens = _api_login(user.email)

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        web = Client()
        web.post(reverse("account_reset_password"), {"email": user.email})
        link = re.search(
            r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body
        )
        form_url = web.get(link.group(1))["Location"]
        response = web.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 302

        _assert_revoked(tokens)


def test_log_out_everywhere_from_the_api_revokes_all_refresh_and_access_tokens():
    user = UserFactory(email="vera@example.com")
    with time_machine.travel(T0, tick=False):
        phone, laptop = _api_login(user.email), _api_login(user.email)
        browser = _web_session(user)

    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        response = APIClient(HTTP_AUTHORIZATION=f"Bearer {phone['access']}").post(LOGOUT_ALL)
        assert response.status_code == 200
        assert response.json() == {"tokens_revoked": 2}

        _assert_revoked(phone)
        _assert_revoked(laptop)
        _assert_signed_out(browser)

    with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
        assert _me(_api_login(user.email)["access"]).status_code == 200


def test_log_out_everywhere_needs_a_signed_in_user(api_client):
    assert api_client.post(LOGOUT_ALL).status_code == 401


def test_the_profile_button_signs_out_other_devices_and_keeps_this_browser():
    user = UserFactory(email="gleb@example.com")
    with time_machine.travel(T0, tick=False):
        tokens = _api_login(user.email)
        other_browser = _web_session(user)
        this_browser = _web_session(user)

    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        response = this_browser.post(reverse("accounts:sign_out_everywhere"), follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("accounts:profile")

        _assert_revoked(tokens)
        _assert_signed_out(other_browser)
        assert this_browser.get(reverse("accounts:profile")).status_code == 200


def test_the_profile_button_only_answers_post(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:sign_out_everywhere")).status_code == 405
