"""Who may do what on every leads route, and that another tenant sees nothing (404)."""

import pytest

from apps.leads.models import LeadExport, LeadList
from apps.leads.tests.conftest import lock_tool, make_leads, url
from apps.tenants.keys import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(tenant, admin_user):
    (lead_id,) = make_leads(tenant, [{"email": "a@example.com"}])
    lead_list = LeadList.objects.create(tenant=tenant, name="L")
    export = LeadExport.objects.create(tenant=tenant, format="csv")
    key, _raw = api_key_create(tenant=tenant, actor=admin_user, name="k")
    return {"lead_id": lead_id, "list_id": lead_list.pk, "export_id": export.pk, "key_id": key.pk}


def routes(objects):
    """(method, url name, url kwargs, body, minimum role) of every tenant route of this app."""
    lead = {"lead_id": objects["lead_id"]}
    return [
        ("get", "api-leads", {}, None, "analyst"),
        ("post", "api-leads", {}, {"email": "b@example.com"}, "operator"),
        ("get", "api-lead", lead, None, "analyst"),
        ("patch", "api-lead", lead, {"status": "contacted"}, "operator"),
        ("post", "api-lead-notes", lead, {"body": "hi"}, "operator"),
        (
            "post",
            "api-leads-bulk",
            {},
            {"action": "status", "value": "lost", "ids": [1]},
            "operator",
        ),
        ("get", "api-leads-export", {}, None, "analyst"),
        ("get", "api-lead-exports", {}, None, "analyst"),
        ("post", "api-lead-exports", {}, {"format": "csv"}, "analyst"),
        ("get", "api-lead-export", {"export_id": objects["export_id"]}, None, "analyst"),
        ("get", "api-lists", {}, None, "analyst"),
        ("post", "api-lists", {}, {"name": "New"}, "operator"),
        ("get", "api-list", {"list_id": objects["list_id"]}, None, "analyst"),
        ("patch", "api-list", {"list_id": objects["list_id"]}, {"name": "X"}, "operator"),
        ("get", "api-customers", {}, None, "analyst"),
        ("get", "api-products", {}, None, "analyst"),
        ("get", "api-keys", {}, None, "admin"),
        ("post", "api-keys", {}, {"name": "n"}, "admin"),
        ("get", "api-widget-key", {}, None, "analyst"),
        ("post", "api-widget-key-rotate", {}, None, "admin"),
        ("delete", "api-list", {"list_id": objects["list_id"]}, None, "operator"),
        ("delete", "api-key", {"key_id": objects["key_id"]}, None, "admin"),
        ("delete", "api-lead", lead, None, "operator"),
    ]


RANK = {"analyst": 1, "operator": 2, "admin": 3}


def call(client, method, path, body):
    return (
        getattr(client, method)(path, body, format="json")
        if body
        else getattr(client, method)(path)
    )


@pytest.mark.parametrize("role", ["analyst", "operator"])
def test_roles_below_the_minimum_get_403(request, tenant, objects, role):
    client = request.getfixturevalue(f"{role}_api")
    for method, name, kwargs, body, minimum in routes(objects):
        response = call(client, method, url(name, tenant, **kwargs), body)
        if RANK[role] < RANK[minimum]:
            assert response.status_code == 403, (method, name)
            assert response.json()["error"]["code"] == "permission_denied"
        else:
            assert response.status_code < 400, (method, name, response.content)


def test_admin_may_do_everything(admin_api, tenant, objects):
    for method, name, kwargs, body, _minimum in routes(objects):
        response = call(admin_api, method, url(name, tenant, **kwargs), body)
        assert response.status_code < 400, (method, name, response.content)


def test_another_tenants_member_gets_404_on_every_route(outsider_api, tenant, objects):
    for method, name, kwargs, body, _minimum in routes(objects):
        response = call(outsider_api, method, url(name, tenant, **kwargs), body)
        assert response.status_code == 404, (method, name)
        assert response.json()["error"]["code"] == "not_found"


def test_another_tenants_api_key_gets_404_on_every_route(
    api_client, tenant, objects, other_api_key
):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_api_key[1]}")
    for method, name, kwargs, body, _minimum in routes(objects):
        response = call(api_client, method, url(name, tenant, **kwargs), body)
        assert response.status_code == 404, (method, name)


def test_anonymous_requests_get_401(api_client, tenant, objects):
    for method, name, kwargs, body, _minimum in routes(objects):
        response = call(api_client, method, url(name, tenant, **kwargs), body)
        assert response.status_code == 401, (method, name)
        assert response.json()["error"]["code"] == "not_authenticated"


def test_an_operator_key_acts_as_an_operator(api_client, tenant, objects, api_key):
    api_client.credentials(HTTP_X_API_KEY=api_key[1])
    for method, name, kwargs, body, minimum in routes(objects):
        response = call(api_client, method, url(name, tenant, **kwargs), body)
        if minimum == "admin":
            assert response.status_code == 403, (method, name)
        else:
            assert response.status_code < 400, (method, name, response.content)


# --- tools (entitlements) -----------------------------------------------------------------


def test_export_needs_the_export_tool(analyst_api, tenant, objects):
    lock_tool(tenant, "export")
    for method, name, kwargs, body in (
        ("get", "api-leads-export", {}, None),
        ("post", "api-lead-exports", {}, {"format": "csv"}),
    ):
        response = call(analyst_api, method, url(name, tenant, **kwargs), body)
        assert response.status_code == 403, name
        error = response.json()["error"]
        assert error["code"] == "feature_locked" and error["feature"] == "export"


def test_api_keys_need_the_api_access_tool(admin_api, api_client, tenant, api_key):
    lock_tool(tenant, "api_access")
    created = admin_api.post(url("api-keys", tenant), {"name": "x"}, format="json")
    assert created.status_code == 403
    assert created.json()["error"]["code"] == "feature_locked"
    api_client.credentials(HTTP_X_API_KEY=api_key[1])
    response = api_client.get(url("api-leads", tenant))
    assert response.status_code == 403
    assert response.json()["error"]["feature"] == "api_access"
    # people keep working through the dashboard/JWT
    assert admin_api.get(url("api-leads", tenant)).status_code == 200


def test_a_locked_tool_stays_hidden_from_other_tenants(outsider_api, tenant):
    lock_tool(tenant, "export")
    assert outsider_api.get(url("api-leads-export", tenant)).status_code == 404
