"""The Modules page."""

import pytest
from django.urls import reverse

from apps.billing.tests.helpers import subscribe
from apps.features import services

pytestmark = pytest.mark.django_db


def _url(tenant):
    return reverse("features:modules", args=[tenant.slug])


def test_modules_page_shows_tools_on_and_locked_with_the_upsell_hint(tenant, analyst_client_web):
    subscribe(tenant, "start")
    services.tenant_feature_set(tenant=tenant, feature="enrichment", mode="grant", reason="x")
    response = analyst_client_web.get(_url(tenant))
    assert response.status_code == 200
    tools = {t["key"]: t for t in response.context["tools"]}
    assert tools["enrichment"]["enabled"]
    assert not tools["export"]["enabled"]
    html = response.content.decode()
    assert 'id="module-export"' in html and "module-locked" in html
    assert "Про" in html  # «Доступно на тарифе „Про“» in Russian


def test_modules_page_shows_tools_without_pages_as_coming_soon_not_on(tenant, analyst_client_web):
    # given: every tool on trial, but branding unbuilt
    response = analyst_client_web.get(_url(tenant))
    # then
    on = {t["key"] for t in response.context["tools"]}
    soon = {t["key"] for t in response.context["coming_soon"]}
    assert on == {
        "enrichment",
        "export",
        "api_access",
        "channels",
        "booking",
        "messaging_rules",
        "extended_analytics",
        "advanced_analytics",
        "webhooks",
        "upsell",
        "hyrocall",
        "hyropage",
    }
    assert {"custom_branding"} <= soon
    html = response.content.decode()
    soon_part = html[html.index('id="modules-soon-title"') :]
    assert "Скоро" in soon_part and 'id="module-custom_branding"' in soon_part
    assert "Включён" not in soon_part


def test_modules_page_is_404_for_an_outsider_and_asks_anonymous_to_log_in(
    tenant, outsider_client_web, client
):
    subscribe(tenant, "pro")
    assert outsider_client_web.get(_url(tenant)).status_code == 404
    outsider_client_web.logout()
    assert outsider_client_web.get(_url(tenant)).status_code == 302
