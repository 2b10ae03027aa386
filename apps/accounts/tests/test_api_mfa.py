"""The API login with a second factor: `otp`, the code of the account's authenticator app,
puts `amr: ["pwd", "otp"]` into the tokens (kept through refreshes); without it the tokens are
issued from the password alone, exactly as before."""

import time

import pytest
from allauth.mfa.utils import decrypt
from rest_framework_simplejwt.tokens import UntypedToken

from apps.accounts.tokens import AccessToken, RefreshToken
from tests.factories import PASSWORD, UserFactory
from tests.staff import current_code, staff_totp, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


@pytest.fixture(autouse=True)
def _one_step_of_clock_slack(settings):
    """A code computed just before a 30-second step ends is checked just after it."""
    settings.MFA_TOTP_TOLERANCE = 1


def _login(client, user, password=PASSWORD, **extra):
    body = {"email": user.email, "password": password, **extra}
    return client.post(LOGIN, body, format="json", REMOTE_ADDR="10.0.0.1")


def _wrong_code(user) -> str:
    valid = {current_code(user)}
    return next(c for c in ("000000", "111111", "222222") if c not in valid)


def _amr(token: str):
    return UntypedToken(token).get("amr")


def test_a_valid_code_puts_amr_into_the_access_and_refresh_tokens(api_client):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    response = _login(api_client, user, otp=current_code(user))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert _amr(body["access"]) == ["pwd", "otp"]
    assert _amr(body["refresh"]) == ["pwd", "otp"]
    assert AccessToken(body["access"])["user_id"] == str(user.pk)


def test_a_refreshed_token_keeps_the_claim(api_client):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    tokens = _login(api_client, user, otp=current_code(user)).json()
    for _ in range(2):  # the rotated refresh token keeps it too
        tokens = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").json()
        assert _amr(tokens["access"]) == ["pwd", "otp"]
        assert _amr(tokens["refresh"]) == ["pwd", "otp"]


def test_a_wrong_code_answers_401_invalid_otp_and_issues_no_token(api_client):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    response = _login(api_client, user, otp=_wrong_code(user))
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_otp"
    assert list(error["fields"]) == ["otp"]
    assert "access" not in response.json() and "refresh" not in response.json()
    user.refresh_from_db()
    assert user.last_login is None


def test_a_code_is_accepted_once(api_client):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    code = current_code(user)
    assert _login(api_client, user, otp=code).status_code == 200
    response = _login(api_client, user, otp=code)  # replayed (allauth's used-code guard)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_otp"


def test_an_old_code_is_refused(api_client):
    user = UserFactory(is_staff=True)
    old_code = totp_code(decrypt(staff_totp(user).data["secret"]), time.time() - 600)
    if old_code == current_code(user):  # one chance in a million
        pytest.skip("the old code happens to equal the current one")
    assert _login(api_client, user, otp=old_code).json()["error"]["code"] == "invalid_otp"


def test_wrong_codes_count_as_failed_logins(api_client):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    for _ in range(5):
        assert _login(api_client, user, otp=_wrong_code(user)).status_code == 401
    response = _login(api_client, user, otp=current_code(user))  # even the right one now
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_login_attempts"


def test_the_password_is_checked_before_the_code(api_client):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    response = _login(api_client, user, password="wrong", otp=current_code(user))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_a_code_for_an_account_without_an_authenticator_app_answers_400(api_client):
    user = UserFactory()
    response = _login(api_client, user, otp="123456")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "mfa_not_enabled"
    assert list(error["fields"]) == ["otp"]


def test_a_blank_code_is_a_field_error(api_client):
    user = UserFactory()
    staff_totp(user)
    response = _login(api_client, user, otp="")
    assert response.status_code == 400
    assert "otp" in response.json()["error"]["fields"]


def test_without_a_code_a_user_with_an_authenticator_app_gets_tokens_without_the_claim(
    api_client,
):
    user = UserFactory(is_staff=True)
    staff_totp(user)
    body = _login(api_client, user).json()
    assert _amr(body["access"]) is None and _amr(body["refresh"]) is None


def test_tenant_users_log_in_and_refresh_as_before(api_client):
    user = UserFactory()
    body = _login(api_client, user).json()
    assert set(body) == {"access", "refresh", "user"}
    assert _amr(body["access"]) is None
    claims = set(RefreshToken(body["refresh"]).payload)
    assert claims == {"token_type", "exp", "iat", "jti", "user_id"}
    refreshed = api_client.post(REFRESH, {"refresh": body["refresh"]}, format="json").json()
    assert _amr(refreshed["access"]) is None
    me = api_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {refreshed['access']}")
    assert me.status_code == 200
