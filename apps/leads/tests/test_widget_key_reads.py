"""A GET never writes: every company has its widget key from its creation on, so the key API,
the snippet API and the widget pages only read it. A company whose key staff revoked (with no
replacement) is told so — 404 `no_widget_key` from the API, a notice on the pages — and a new
key comes only from rotation, a POST."""

import re
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.leads.tests.conftest import url
from apps.tenants import keys
from apps.tenants.models import PublishableKey

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
NO_KEY = "The widget has no live key"


def writes_of(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if WRITE.match(query["sql"])]


def revoke_without_replacement(tenant) -> None:
    """What staff can do in the admin: the live key revoked, none issued."""
    PublishableKey.objects.for_tenant(tenant).update(revoked_at=timezone.now())


def live_keys(tenant) -> int:
    return PublishableKey.objects.for_tenant(tenant).filter(revoked_at__isnull=True).count()


def test_the_key_api_reads_the_live_key_and_writes_nothing(analyst_api, tenant):
    key = keys.publishable_key_live(tenant)
    with CaptureQueriesContext(connection) as queries:
        response = analyst_api.get(url("api-widget-key", tenant))
    assert response.status_code == 200
    assert writes_of(queries) == []
    body = response.json()
    assert set(body) == {"key", "created_at"} and body["key"] == key.key
    assert datetime.fromisoformat(body["created_at"]) == key.created_at


def test_without_a_live_key_the_key_api_answers_404_and_creates_none(analyst_api, tenant):
    # given
    revoke_without_replacement(tenant)
    # when
    with CaptureQueriesContext(connection) as queries:
        response = analyst_api.get(url("api-widget-key", tenant))
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_widget_key"
    assert writes_of(queries) == [] and live_keys(tenant) == 0


def test_rotation_issues_the_missing_key(admin_api, tenant):
    revoke_without_replacement(tenant)
    rotated = admin_api.post(url("api-widget-key-rotate", tenant))
    assert rotated.status_code == 201
    assert admin_api.get(url("api-widget-key", tenant)).json()["key"] == rotated.json()["key"]


def test_the_snippet_api_writes_nothing_and_answers_404_without_a_key(analyst_api, tenant):
    with CaptureQueriesContext(connection) as queries:
        body = analyst_api.get(url("api-widget-snippet", tenant)).json()
    assert body["publishable_key"] == keys.publishable_key_live(tenant).key
    revoke_without_replacement(tenant)
    with CaptureQueriesContext(connection) as more:
        response = analyst_api.get(url("api-widget-snippet", tenant))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_widget_key"
    assert writes_of(queries) == writes_of(more) == [] and live_keys(tenant) == 0


def _pages(tenant) -> list[str]:
    return [f"/t/{tenant.slug}/widget/{page}" for page in ("", "demo/", "preview/")]


def _visited(client, tenant):
    """The session remembers the company on a first visit (done beforehand). The widget's
    configuration is never saved here: its defaults are shown without a row."""
    client.get(f"/t/{tenant.slug}/")
    return client


def test_the_widget_pages_show_the_key_and_write_nothing(admin_client_web, tenant, english_ui):
    key = keys.publishable_key_live(tenant).key
    _visited(admin_client_web, tenant)
    with CaptureQueriesContext(connection) as queries:
        settings, demo, preview = [admin_client_web.get(page) for page in _pages(tenant)]
    assert [page.status_code for page in (settings, demo, preview)] == [200, 200, 200]
    assert f'<code class="secret" id="publishable-key">{key}</code>' in settings.content.decode()
    assert all(f'data-key="{key}"' in page.content.decode() for page in (demo, preview))
    assert NO_KEY not in settings.content.decode()
    assert writes_of(queries) == []


def test_without_a_key_the_widget_pages_say_so_and_create_none(
    admin_client_web, tenant, english_ui
):
    # given
    revoke_without_replacement(tenant)
    _visited(admin_client_web, tenant)
    # when
    with CaptureQueriesContext(connection) as queries:
        pages = [admin_client_web.get(page) for page in _pages(tenant)]
    # then
    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        html = page.content.decode()
        assert NO_KEY in html and "data-key=" not in html
    assert 'id="publishable-key"' not in pages[0].content.decode()
    assert f"/t/{tenant.slug}/widget/rotate/" in pages[0].content.decode()  # the way out
    assert writes_of(queries) == [] and live_keys(tenant) == 0


def test_the_widget_settings_api_reads_defaults_without_saving_them(admin_api, tenant):
    # given a company that never saved its widget
    with CaptureQueriesContext(connection) as queries:
        answer = admin_api.get(url("api-widget-config", tenant))
    # then the defaults come back (version 1, never saved) and nothing was written
    assert answer.status_code == 200, answer.content
    assert (answer.json()["version"], answer.json()["updated_at"]) == (1, None)
    assert not [q for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
