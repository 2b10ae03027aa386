"""Two-factor authentication (allauth.mfa, TOTP and recovery codes): required for staff to
open the Django admin, optional for tenant users (profile → two-factor authentication).
Codes are computed with allauth's own TOTP helpers, as an authenticator app would."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


@pytest.fixture(autouse=True)
def _one_step_of_clock_slack(settings):
    """A code computed just before a 30-second step ends is checked just after it: accept
    the neighbouring step, as an app's clock drift would need (allauth's default is 0)."""
    settings.MFA_TOTP_TOLERANCE = 1


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _staff(**kwargs):
    return UserFactory(is_staff=True, is_superuser=True, **kwargs)


def _password_login(client, user, next_url=""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": user.email, "password": PASSWORD})


def test_staff_without_a_second_factor_is_sent_to_set_one_up(client):
    client.force_login(_staff())
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 302


def test_staff_session_that_never_passed_the_second_factor_is_asked_for_a_code(client):
    staff = _staff()
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)  # e.g. signed in before setting up the authenticator
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_djangos_password_only_admin_login_is_replaced_by_the_allauth_login(client):
    response = client.get(reverse("admin:login") + "?next=/admin/leads/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Fleads%2F"


def test_staff_login_asks_for_the_totp_code_then_opens_the_admin(client):
    # given a staff member with an authenticator app
    staff = _staff()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    # when they sign in with the password: the second step asks for the code
    response = _password_login(client, staff, next_url=ADMIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(ADMIN).status_code == 302  # not signed in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and not wrong.wsgi_request.user.is_authenticated
    # when they enter the code from the app
    done = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    # then they are in, and the admin opens
    assert done.status_code == 302 and done["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_staff_signed_in_before_setting_up_passes_the_code_and_gets_in(client):
    staff = _staff()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    client.force_login(staff)
    url = reverse("mfa_reauthenticate") + f"?next={ADMIN}"
    response = client.post(url, {"code": _code(secret)})
    assert response.status_code == 302 and response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_staff_login_helper_goes_through_allauths_record(client):
    staff = staff_login(client, _staff())
    assert client.get(ADMIN).status_code == 200
    assert Authenticator.objects.filter(user=staff, type="totp").count() == 1


def test_tenant_user_is_not_asked_for_a_second_factor(client, admin_user, tenant):
    response = _password_login(client, admin_user)
    assert response.status_code == 302 and response["Location"] != reverse("mfa_authenticate")
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_tenant_user_enables_totp_and_sees_recovery_codes(client, admin_user):
    # given a signed-in tenant user who confirmed the password again (allauth asks for it
    # before security changes)
    _password_login(client, admin_user)
    confirmed = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert confirmed.status_code == 302
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_index") in profile
    # when they open the set-up page and enter the code of the secret it shows
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()
    done = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    # then the authenticator is active, its secret encrypted at rest, and recovery codes
    # are shown
    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    totp = Authenticator.objects.get(user=admin_user, type="totp")
    assert secret not in str(totp.data)
    assert Authenticator.objects.filter(user=admin_user, type="recovery_codes").exists()
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert codes.status_code == 200
    assert len(codes.context["unused_codes"]) >= 10
    # and the next login asks for the code
    client.logout()
    assert _password_login(client, admin_user)["Location"] == reverse("mfa_authenticate")
