"""A tenant API key is not a person: routes of people (the list of one's companies, /me,
leaving a company) answer 401/403 to it with the API's error, never a 500."""

import pytest
from rest_framework.test import APIClient

from apps.billing.tests.helpers import subscribe
from apps.tenants.keys import api_key_create
from apps.tenants.models import Membership
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_client(tenant, admin_user):
    subscribe(tenant, "business")  # a plan with API access: the key itself is valid
    _, key = api_key_create(tenant=tenant, actor=admin_user, name="CRM")
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_list_of_companies_is_not_for_api_keys(key_client, method):
    response = getattr(key_client, method)("/api/v1/tenants/", {"name": "X"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_an_api_key_cannot_remove_a_member(key_client, tenant, operator_user):
    response = key_client.delete(f"/api/v1/tenants/{tenant.pk}/team/{operator_user.pk}/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    with tenant_scope(tenant):
        assert Membership.objects.filter(user=operator_user).exists()


def test_an_api_key_still_reads_its_own_tenant(key_client, tenant):
    assert key_client.get(f"/api/v1/tenants/{tenant.pk}/").status_code == 200
    assert key_client.get(f"/api/v1/tenants/{tenant.pk}/team/").status_code == 200
