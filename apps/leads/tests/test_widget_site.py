"""A foreign site loading the widget: a clear refusal, recorded once an hour, shown to the
tenant's administrators with Allow (audited, adds the origin) and dismiss; the snippet API;
the demo page and its "first lead arrived" poll."""

import pytest
from django.core.cache import cache

from apps.leads.models import WidgetOriginAttempt
from apps.leads.tests.conftest import WIDGET_ORIGIN, make_leads, url
from apps.leads.widget_origins import MAX_PENDING
from apps.tenants.models import AuditLogEntry, Tenant

FOREIGN = "https://example.org"


def load(client, key, origin=FOREIGN):
    return client.get(f"/api/public/v1/widget/{key}/", HTTP_ORIGIN=origin)


def test_a_foreign_site_gets_a_clear_reason_and_is_recorded_once_an_hour(
    client, site, publishable_key
):
    response = load(client, publishable_key)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "origin_not_allowed" and error["origin"] == FOREIGN
    load(client, publishable_key)
    attempt = WidgetOriginAttempt.objects.unscoped().get(tenant=site)
    assert attempt.origin == FOREIGN and attempt.attempts == 1
    assert load(client, publishable_key, WIDGET_ORIGIN).status_code == 200
    load(client, publishable_key, "null")
    assert WidgetOriginAttempt.objects.unscoped().count() == 1


def test_a_flood_of_origins_is_capped(client, site, publishable_key):
    for n in range(MAX_PENDING + 5):
        load(client, publishable_key, f"https://spam{n}.example")
    assert WidgetOriginAttempt.objects.unscoped().count() == MAX_PENDING


def test_admin_sees_the_notice_and_allows_the_site(
    admin_client_web, client, site, publishable_key, english_ui
):
    load(client, publishable_key)
    attempt = WidgetOriginAttempt.objects.unscoped().get()
    for page in (f"/t/{site.slug}/", f"/t/{site.slug}/widget/"):
        html = admin_client_web.get(page).content.decode()
        assert "A page on https://example.org tried to load your widget — allow it?" in html
    response = admin_client_web.post(
        f"/t/{site.slug}/widget/origins/{attempt.pk}/allow/", {"next": f"/t/{site.slug}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/t/{site.slug}/"
    assert Tenant.objects.get(pk=site.pk).allowed_origins == [WIDGET_ORIGIN, FOREIGN]
    entry = AuditLogEntry.objects.unscoped().get(action="widget_origin_allowed")
    assert entry.after == {"allowed_origins": [WIDGET_ORIGIN, FOREIGN]}
    assert not WidgetOriginAttempt.objects.unscoped().exists()
    cache.clear()
    assert load(client, publishable_key).status_code == 200


def test_dismiss_hides_the_notice(admin_client_web, client, site, publishable_key, english_ui):
    load(client, publishable_key)
    attempt = WidgetOriginAttempt.objects.unscoped().get()
    admin_client_web.post(f"/t/{site.slug}/widget/origins/{attempt.pk}/dismiss/")
    assert (
        "tried to load your widget" not in admin_client_web.get(f"/t/{site.slug}/").content.decode()
    )
    assert Tenant.objects.get(pk=site.pk).allowed_origins == [WIDGET_ORIGIN]


def test_operators_neither_see_nor_allow(operator_client_web, client, site, publishable_key):
    load(client, publishable_key)
    attempt = WidgetOriginAttempt.objects.unscoped().get()
    assert "example.org" not in operator_client_web.get(f"/t/{site.slug}/").content.decode()
    allow = f"/t/{site.slug}/widget/origins/{attempt.pk}/allow/"
    assert operator_client_web.post(allow).status_code == 403


def test_another_tenants_notice_cannot_be_allowed(
    admin_client_web, other_tenant, client, publishable_key, site
):
    load(client, publishable_key)
    attempt = WidgetOriginAttempt.objects.unscoped().get()
    foreign = f"/t/{site.slug}/widget/origins/{attempt.pk + 1000}/allow/"
    assert admin_client_web.post(foreign).status_code == 404
    other = f"/t/{other_tenant.slug}/widget/origins/{attempt.pk}/allow/"
    assert admin_client_web.post(other).status_code == 404


def test_snippet_api(analyst_api, tenant, publishable_key, other_tenant):
    response = analyst_api.get(url("api-widget-snippet", tenant))
    assert response.status_code == 200
    body = response.json()
    assert f'data-key="{publishable_key}"' in body["snippet"]
    assert body["script_url"].endswith("/static/widget/fastlead.js")
    assert analyst_api.get(url("api-widget-snippet", other_tenant)).status_code == 404


@pytest.mark.django_db
def test_demo_page_and_first_lead_poll(admin_client_web, tenant, publishable_key, english_ui):
    html = admin_client_web.get(f"/t/{tenant.slug}/widget/demo/").content.decode()
    assert publishable_key in html and 'data-test="1"' in html and 'hx-trigger="every 2s"' in html
    status = f"/t/{tenant.slug}/widget/demo/status/?since=0"
    assert "Waiting for a request" in admin_client_web.get(status).content.decode()
    make_leads(tenant, [{"name": "Анна", "email": "anna@example.com"}], source="widget")
    arrived = admin_client_web.get(status).content.decode()
    assert "Your first lead has arrived!" in arrived and "Анна" in arrived
    assert "every 2s" not in arrived
