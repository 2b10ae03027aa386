"""Tenant API keys: created by an admin, shown once, stored hashed, revocable, own tenant only."""

import hashlib

import pytest

from apps.leads.models import Lead, TimelineEntry
from apps.leads.tests.conftest import url
from apps.tenants.keys import api_key_authenticate
from apps.tenants.models import TenantAPIKey
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_admin_creates_a_key_shown_once_and_stored_hashed(admin_api, admin_user, tenant):
    response = admin_api.post(url("api-keys", tenant), {"name": "CRM sync"}, format="json")
    assert response.status_code == 201
    body = response.json()
    raw = body["key"]
    assert raw.startswith("fl_") and len(raw) > 40
    assert body["role"] == "operator" and body["prefix"] == raw[:13]
    key = TenantAPIKey.objects.for_tenant(tenant).get(pk=body["id"])
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(TenantAPIKey.objects.for_tenant(tenant).values().get())
    assert key.created_by == admin_user
    listed = admin_api.get(url("api-keys", tenant)).json()
    assert listed[0]["id"] == body["id"] and "key" not in listed[0]


def test_a_key_cannot_be_an_admin(admin_api, tenant):
    response = admin_api.post(
        url("api-keys", tenant), {"name": "root", "role": "admin"}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_API_KEY"])
def test_a_key_submits_leads_without_an_actor(api_client, tenant, api_key, header):
    value = f"Api-Key {api_key[1]}" if header == "HTTP_AUTHORIZATION" else api_key[1]
    api_client.credentials(**{header: value})
    response = api_client.post(url("api-leads", tenant), {"email": "k@example.com"}, format="json")
    assert response.status_code == 201
    with tenant_scope(tenant):
        assert Lead.objects.get().source == "api"
        assert TimelineEntry.objects.get().actor_id is None
    api_key[0].refresh_from_db()
    assert api_key[0].last_used_at is not None


def test_a_key_is_accepted_by_tenant_slug_too(api_client, tenant, api_key):
    api_client.credentials(HTTP_X_API_KEY=api_key[1])
    response = api_client.get(f"/api/v1/tenants/{tenant.slug}/leads/")
    assert response.status_code == 200


def test_revoked_key_answers_401(admin_api, api_client, tenant, api_key):
    assert admin_api.delete(url("api-key", tenant, key_id=api_key[0].pk)).status_code == 204
    api_client.credentials(HTTP_X_API_KEY=api_key[1])
    response = api_client.get(url("api-leads", tenant))
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("authentication_failed", "not_authenticated")
    assert api_key_authenticate(api_key[1]) is None


@pytest.mark.parametrize(
    "presented",
    ["fl_wrong", "fl_0123456789abcdefghijklmnopqrstuvwxyz", "nonsense", "fl_"],
)
def test_wrong_keys_answer_401_in_the_error_shape(api_client, tenant, api_key, presented):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {presented}")
    response = api_client.get(url("api-leads", tenant))
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"code", "message"}


def test_a_tampered_secret_with_a_real_prefix_answers_401(api_client, tenant, api_key):
    tampered = api_key[1][:-4] + "zzzz"
    api_client.credentials(HTTP_X_API_KEY=tampered)
    assert api_client.get(url("api-leads", tenant)).status_code == 401


def test_keys_do_not_work_outside_tenant_routes(api_client, api_key):
    api_client.credentials(HTTP_X_API_KEY=api_key[1])
    assert api_client.get("/api/v1/me").status_code == 401


def test_another_tenants_key_sees_404(api_client, tenant, other_api_key):
    api_client.credentials(HTTP_X_API_KEY=other_api_key[1])
    assert api_client.get(url("api-leads", tenant)).status_code == 404


def test_revoking_another_tenants_key_is_404(admin_api, tenant, other_api_key):
    response = admin_api.delete(url("api-key", tenant, key_id=other_api_key[0].pk))
    assert response.status_code == 404
    other_api_key[0].refresh_from_db()
    assert other_api_key[0].revoked_at is None
