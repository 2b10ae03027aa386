"""The staff ops API (/api/v1/ops/…) takes a staff JWT obtained with the one-time code of the
owner's authenticator app (claim `amr`: ["pwd", "otp"]), as the staff console takes only a
session that passed it; owning an authenticator app is not enough. No session reaches it (JWT
and API keys only); were a view to take one, it must have passed the second factor."""

import pytest
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.api import StaffWithMFA
from conftest import api_client_for
from tests.factories import PASSWORD, UserFactory
from tests.staff import current_code, staff_login, staff_mfa_api, staff_totp

pytestmark = pytest.mark.django_db

OPS_URLS = ("/api/v1/ops/subscriptions/eligible/", "/api/v1/ops/subscriptions/retries/")
CHARGE = "/api/v1/ops/subscriptions/999999/charge/r1/"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


@pytest.fixture(autouse=True)
def _one_step_of_clock_slack(settings):
    settings.MFA_TOTP_TOLERANCE = 1


def _login(client, user, **extra):
    body = {"email": user.email, "password": PASSWORD, **extra}
    response = client.post(LOGIN, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _assert_allowed(api):
    for url in OPS_URLS:
        response = api.get(url)
        assert response.status_code == 200 and response.json() == []
    assert api.post(CHARGE).status_code == 404  # past the permission: no such subscription


def _assert_mfa_required(api, *words):
    for response in [api.get(url) for url in OPS_URLS] + [api.post(CHARGE)]:
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "mfa_required"
        assert any(word in error["message"] for word in words), error["message"]


def test_a_token_from_the_password_alone_is_refused_though_the_staff_has_an_app(api_client):
    staff = UserFactory(is_staff=True)
    staff_totp(staff)
    tokens = _login(api_client, staff)  # no `otp`
    _assert_mfa_required(_bearer(api_client, tokens["access"]), "one-time code", "одноразов")


def test_a_token_obtained_with_the_code_may_call_the_ops_api(api_client):
    staff = UserFactory(is_staff=True)
    staff_totp(staff)
    tokens = _login(api_client, staff, otp=current_code(staff))
    _assert_allowed(_bearer(api_client, tokens["access"]))


def test_a_refreshed_token_still_may(api_client):
    staff = UserFactory(is_staff=True)
    staff_totp(staff)
    tokens = _login(api_client, staff, otp=current_code(staff))
    tokens = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").json()
    _assert_allowed(_bearer(api_client, tokens["access"]))


def test_a_wrong_code_gets_no_token(api_client):
    staff = UserFactory(is_staff=True)
    staff_totp(staff)
    body = {"email": staff.email, "password": PASSWORD, "otp": "12345x"}
    response = api_client.post(LOGIN, body, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_otp"
    assert "access" not in response.json()


def test_staff_without_an_authenticator_app_is_refused_with_mfa_required():
    _assert_mfa_required(api_client_for(UserFactory(is_staff=True)), "two-factor", "двухфакторн")


def test_a_claim_is_no_use_once_the_authenticator_app_is_removed():
    staff = UserFactory(is_staff=True)
    api = staff_mfa_api(staff)
    staff.authenticator_set.all().delete()
    _assert_mfa_required(api, "Set up", "Подключите")


def test_non_staff_are_refused_as_before_mfa_or_not():
    member = UserFactory()
    for api in (api_client_for(UserFactory()), staff_mfa_api(member)):
        response = api.get(OPS_URLS[0])
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert api_client_for(None).get(OPS_URLS[0]).status_code == 401


def test_a_staff_session_that_passed_mfa_does_not_reach_the_ops_api(client):
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200  # the session is a valid staff one
    response = client.get(OPS_URLS[0])
    assert response.status_code == 401  # the ops API takes a token, never the session
    assert response.json()["error"]["code"] == "not_authenticated"


class _SessionOps(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [StaffWithMFA]

    def get(self, request):
        return Response([])


def _session_get(client, user):
    request = RequestFactory().get("/ops-by-session/")
    request.session = client.session
    request.user = user
    return _SessionOps.as_view()(request)


def test_with_a_session_the_rule_is_the_staff_consoles(client):
    # a session that passed the second factor (as the console requires) is let through
    staff = staff_login(client, UserFactory(is_staff=True))
    assert _session_get(client, staff).status_code == 200
    # one that signed in with the password alone is not, authenticator app or not
    client.logout()
    client.force_login(staff)
    response = _session_get(client, staff)
    assert response.status_code == 403
    assert response.data["error"]["code"] == "mfa_required"


def test_the_openapi_schema_documents_mfa_required_on_every_ops_endpoint():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = {path: item for path, item in schema["paths"].items() if "/ops/" in path}
    assert len(ops) == 3
    for item in ops.values():
        for operation in item.values():
            assert "mfa_required" in operation["responses"]["403"]["description"]
            assert "mfa_required" in operation["description"]
            assert "otp" in operation["description"]
