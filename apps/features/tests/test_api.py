"""GET /api/v1/tenants/{t}/features/"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.features import services
from apps.features.registry import tool_keys

pytestmark = pytest.mark.django_db


def _url(tenant):
    return f"/api/v1/tenants/{tenant.id}/features/"


def test_features_lists_every_tool_with_state_source_and_unlock_plan(tenant, analyst_api):
    subscribe(tenant, "start")
    expires = timezone.now() + timedelta(days=5)
    services.tenant_feature_set(
        tenant=tenant, feature="enrichment", mode="trial", reason="demo", expires_at=expires
    )
    body = analyst_api.get(_url(tenant)).json()
    assert body["plan"]["code"] == "start" and body["access_state"] == "active"
    tools = {t["key"]: t for t in body["tools"]}
    assert list(tools) == list(tool_keys())
    assert tools["enrichment"]["enabled"] and tools["enrichment"]["source"] == "trial"
    assert tools["enrichment"]["expires_at"] and tools["enrichment"]["live"]
    export = tools["export"]
    assert not export["enabled"] and export["source"] == "none" and export["live"]
    assert export["unlock_plan"]["code"] == "pro" and export["name"]


def test_a_tool_that_is_not_built_is_never_enabled_even_when_granted(tenant, analyst_api):
    # given: the plan grants follow-up rules (built) and staff grants custom branding (no pages)
    subscribe(tenant, "start")
    services.tenant_feature_set(tenant=tenant, feature="custom_branding", mode="grant", reason="x")
    # when
    tools = {t["key"]: t for t in analyst_api.get(_url(tenant)).json()["tools"]}
    # then
    assert tools["messaging_rules"]["live"] is True and tools["messaging_rules"]["enabled"]
    for key in ("custom_branding",):
        assert tools[key]["live"] is False and tools[key]["enabled"] is False
        assert tools[key]["unlock_plan"] is None


def test_features_names_follow_the_language(tenant, analyst_api):
    subscribe(tenant, "start")
    en = analyst_api.get(_url(tenant), HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["plan"]["name"] == "Start"


def test_features_is_404_for_an_outsider_and_401_anonymous(tenant, outsider_api, api_client):
    subscribe(tenant, "pro")
    assert outsider_api.get(_url(tenant)).status_code == 404
    assert api_client.get(_url(tenant)).status_code == 401


def test_features_query_count_is_fixed(tenant, analyst_api, django_assert_max_num_queries):
    subscribe(tenant, "pro")
    analyst_api.get(_url(tenant))
    with django_assert_max_num_queries(2):
        assert analyst_api.get(_url(tenant)).status_code == 200
