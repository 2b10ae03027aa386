"""Every guard refuses a locked tool on the server: the DRF permission, the view decorator
and the task guard; outsiders still get 404 and learn nothing."""

import pytest

from apps.billing.tests.helpers import subscribe
from apps.features import services
from apps.features.guards import FeatureLocked, ensure_feature, task_requires_feature
from apps.tenants.tasking import tenant_task

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.features.tests.urls")]

HX = {"HTTP_HX_REQUEST": "true"}


def _api(tenant):
    return f"/api/v1/tenants/{tenant.id}/probe/export/"


def _page(tenant):
    return f"/t/{tenant.slug}/probe/export/"


# --- DRF permission ---------------------------------------------------------------------------


def test_api_refuses_a_locked_tool_with_feature_locked_and_the_plan(tenant, analyst_api):
    subscribe(tenant, "start")
    response = analyst_api.get(_api(tenant))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "feature_locked"
    assert error["feature"] == "export" and error["plan"] == "pro"
    assert "Про" in error["message"] or "Pro" in error["message"]


def test_api_allows_the_tool_once_granted_without_restart(tenant, analyst_api):
    subscribe(tenant, "start")
    assert analyst_api.get(_api(tenant)).status_code == 403
    services.tenant_feature_set(tenant=tenant, feature="export", mode="grant", reason="deal")
    assert analyst_api.get(_api(tenant)).json() == {"exported": True}


def test_api_by_slug_is_guarded_too(tenant, analyst_api):
    subscribe(tenant, "start")
    response = analyst_api.get(f"/api/v1/tenants/{tenant.slug}/probe/export/")
    assert response.json()["error"]["code"] == "feature_locked"


def test_api_answers_404_to_an_outsider_whether_locked_or_not(tenant, outsider_api):
    subscribe(tenant, "start")
    assert outsider_api.get(_api(tenant)).status_code == 404
    subscribe(tenant, "pro")
    assert outsider_api.get(_api(tenant)).status_code == 404


def test_api_guard_adds_no_query_when_the_tool_is_on(
    tenant, analyst_user, analyst_api, django_assert_num_queries
):
    subscribe(tenant, "pro")
    analyst_api.get(_api(tenant))  # warm
    # user (JWT), membership: the same two queries as an unguarded tenant endpoint
    with django_assert_num_queries(2):
        assert analyst_api.get(_api(tenant)).status_code == 200


# --- view decorator ---------------------------------------------------------------------------


def test_page_shows_an_upsell_page_with_403_when_locked(tenant, analyst_client_web):
    subscribe(tenant, "start")
    response = analyst_client_web.get(_page(tenant))
    assert response.status_code == 403
    assert response.templates[0].name == "features/locked.html"
    assert response.context["plan"].code == "pro"
    assert f"/t/{tenant.slug}/billing/" in response.content.decode()


def test_page_over_htmx_answers_the_message_when_locked(tenant, analyst_client_web):
    subscribe(tenant, "start")
    response = analyst_client_web.get(_page(tenant), **HX)
    assert response.status_code == 403 and response["Content-Type"].startswith("text/plain")


def test_page_opens_when_the_plan_has_the_tool(tenant, analyst_client_web):
    subscribe(tenant, "pro")
    assert analyst_client_web.get(_page(tenant)).content == b"export page"


def test_page_is_404_for_an_outsider_and_login_for_anonymous(tenant, outsider_client_web):
    subscribe(tenant, "pro")
    assert outsider_client_web.get(_page(tenant)).status_code == 404
    outsider_client_web.logout()
    assert outsider_client_web.get(_page(tenant)).status_code == 302


# --- task guard -------------------------------------------------------------------------------

RAN, LOCKED = [], []


@tenant_task
@task_requires_feature("export", on_locked=lambda tenant, item_id: LOCKED.append(item_id))
def export_probe_task(tenant, item_id):
    RAN.append(item_id)
    return {"status": "done"}


def test_task_guard_refuses_runs_nothing_and_reports_the_item(tenant):
    RAN.clear(), LOCKED.clear()
    subscribe(tenant, "start")
    result = export_probe_task.delay(str(tenant.id), 7).get()
    assert result == {
        "status": "refused",
        "code": "feature_locked",
        "feature": "export",
        "plan": "pro",
    }
    assert RAN == [] and LOCKED == [7]


def test_task_guard_runs_the_body_when_the_tool_is_on(tenant):
    RAN.clear(), LOCKED.clear()
    subscribe(tenant, "pro")
    assert export_probe_task.delay(str(tenant.id), 8).get() == {"status": "done"}
    assert RAN == [8] and LOCKED == []


def test_ensure_feature_raises_for_services(tenant):
    subscribe(tenant, "start")
    with pytest.raises(FeatureLocked) as err:
        ensure_feature(tenant, "webhooks")
    assert err.value.status_code == 403 and err.value.extra["plan"] == "business"
