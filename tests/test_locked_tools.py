"""No dashboard button leads to a tool's 403 "not in your plan" page.

A company on Старт (no export, no enrichment, no API access) walks every dashboard page it
can reach from the overview; no page answers 403 to its administrator, and no link, form or
HTMX target on them points at a view guarded by a tool the plan does not include. The
locked state (a lock, the plan that unlocks the tool, a link to the plans) is what shows.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from apps.billing.tests.helpers import subscribe
from apps.features.selectors import entitlements_get
from apps.leads.ingestion import ingest_leads
from apps.leads.services import leadlist_create

pytestmark = pytest.mark.django_db

TARGETS = re.compile(r'(?:href|action|hx-get|hx-post)="([^"]+)"')
MAX_PAGES = 80


def _targets(html: str, prefix: str) -> set[str]:
    found = set()
    for raw in TARGETS.findall(html):
        url = raw.replace("&amp;", "&")
        if urlsplit(url).path.startswith(prefix):
            found.add(url)
    return found


def _locked_tool_of(url: str, entitlements) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    tool = getattr(match.func, "required_feature", None)
    return tool if tool and not entitlements.has(tool) else None


def test_on_start_no_dashboard_link_leads_to_a_locked_tool(tenant, admin_user, admin_client_web):
    # given: a company on Старт with a lead in a list and an existing API key
    subscribe(tenant, "start")
    webinar = leadlist_create(tenant=tenant, actor=admin_user, name="Webinar")
    ingest_leads(
        tenant=tenant,
        items=[{"email": "ivan@example.ru", "name": "Ivan"}],
        source="api",
        lead_list=webinar,
    )
    entitlements = entitlements_get(tenant)
    assert not entitlements.has("export") and not entitlements.has("api_access")
    prefix = f"/t/{tenant.slug}/"
    # when: the administrator walks every page reachable from the overview
    queue, seen, offending = [prefix], set(), []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or _locked_tool_of(url, entitlements):
            continue
        seen.add(url)
        response = admin_client_web.get(url)
        assert response.status_code != 403, url
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for target in _targets(response.content.decode(), prefix):
            tool = _locked_tool_of(target, entitlements)
            if tool:
                offending.append((url, target, tool))
            elif target not in seen:
                queue.append(target)
    # then
    assert offending == []
    assert f"{prefix}settings/api-keys/" in seen and f"{prefix}leads/" in seen
    keys_page = admin_client_web.get(f"{prefix}settings/api-keys/").content.decode()
    assert 'data-tool-locked="api_access"' in keys_page and 'class="key-form"' not in keys_page


def test_creating_an_api_key_the_api_would_refuse_is_refused(tenant, admin_client_web):
    subscribe(tenant, "start")
    response = admin_client_web.post(
        f"/t/{tenant.slug}/settings/api-keys/new/", {"name": "Warehouse sync", "role": "operator"}
    )
    assert response.status_code == 403
    assert "upsell-card" in response.content.decode()
    keys_page = admin_client_web.get(f"/t/{tenant.slug}/settings/api-keys/").content.decode()
    assert "Warehouse sync" not in keys_page
