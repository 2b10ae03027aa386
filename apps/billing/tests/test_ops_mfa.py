"""The staff ops API (/api/v1/ops/…) takes a staff JWT whose owner has an authenticator app
(TOTP), as the staff console does; a staff session never reaches it (JWT and API keys only)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from conftest import api_client_for
from tests.factories import UserFactory
from tests.staff import staff_login, staff_totp

pytestmark = pytest.mark.django_db

OPS_URLS = ("/api/v1/ops/subscriptions/eligible/", "/api/v1/ops/subscriptions/retries/")
CHARGE = "/api/v1/ops/subscriptions/999999/charge/r1/"


def test_staff_with_an_authenticator_app_may_call_the_ops_api():
    # given
    staff = UserFactory(is_staff=True)
    staff_totp(staff)
    api = api_client_for(staff)
    # then
    for url in OPS_URLS:
        response = api.get(url)
        assert response.status_code == 200 and response.json() == []
    assert api.post(CHARGE).status_code == 404  # past the permission: no such subscription


def test_staff_without_an_authenticator_app_is_refused_with_mfa_required():
    api = api_client_for(UserFactory(is_staff=True))
    for response in [api.get(url) for url in OPS_URLS] + [api.post(CHARGE)]:
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "mfa_required"
        assert "two-factor" in error["message"] or "двухфакторн" in error["message"]


def test_non_staff_are_refused_as_before_mfa_or_not():
    member = UserFactory()
    staff_totp(member)  # a second factor makes no one staff
    for api in (api_client_for(UserFactory()), api_client_for(member)):
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


def test_the_openapi_schema_documents_mfa_required_on_every_ops_endpoint():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = {path: item for path, item in schema["paths"].items() if "/ops/" in path}
    assert len(ops) == 3
    for item in ops.values():
        for operation in item.values():
            assert "mfa_required" in operation["responses"]["403"]["description"]
            assert "mfa_required" in operation["description"]
