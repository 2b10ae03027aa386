"""The dashboard sidebar, rendered from the navigation registry (apps/core/navigation.py)."""

import re

import pytest
from django.urls import reverse

from apps.tenants.roles import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ALL_LINKS = [
    "web:overview",
    "analytics:index",
    "leads:index",
    "messaging:inbox",
    "leads:widget",
    "channels:index",
    "booking:index",
    "hyropage:index",
    "messaging_rules:index",
    "upsell:index",
    "integrations:crm",  # order 39 both: ties go by key
    "integrations:index",
    "leads:api_keys",
    "features:modules",
    "billing:overview",
    "payperlead:reports",
    "tenants:team",
    "tenants:settings",
    "privacy:index",
]


def _sidebar(client, tenant, page):
    response = client.get(reverse(page, args=[tenant.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    tenant_list = re.search(r'<nav class="sidebar-nav">.*?<ul>(.*?)</ul>', body, re.S).group(1)
    links = re.findall(r'<li><a href="([^"]+)"( aria-current="page")?>\s*<svg', tenant_list)
    return [(href, bool(current)) for href, current in links]


def _urls(tenant, names):
    return [reverse(name, args=[tenant.slug]) for name in names]


@pytest.mark.parametrize(
    ("page", "active"),
    [
        ("web:overview", "web:overview"),
        ("leads:index", "leads:index"),
        ("leads:lists", "leads:index"),
        ("leads:widget", "leads:widget"),
        ("leads:api_keys", "leads:api_keys"),
        ("channels:index", "channels:index"),
        ("features:modules", "features:modules"),
        # Only "Plan and billing": billing's page is also named "overview", but not the
        # company overview (issue 13: both links were highlighted).
        ("billing:overview", "billing:overview"),
        ("billing:invoices", "billing:overview"),
        ("payperlead:reports", "payperlead:reports"),
        ("integrations:index", "integrations:index"),
        ("integrations:crm", "integrations:crm"),
        ("tenants:team", "tenants:team"),
        ("tenants:settings", "tenants:settings"),
    ],
)
def test_admin_sees_every_link_in_order_with_the_current_page_marked(
    admin_client_web, tenant, page, active
):
    links = _sidebar(admin_client_web, tenant, page)
    assert [href for href, _current in links] == _urls(tenant, ALL_LINKS)
    active = active if isinstance(active, list) else [active]
    assert [href for href, current in links if current] == _urls(tenant, active)


ADMIN_ONLY = (
    "integrations:index",
    "integrations:crm",
    "leads:api_keys",
    "channels:index",
    "privacy:index",
)
# Analysts read; talking to leads, booking meetings and editing rules is operators' work.
OPERATOR_WORK = (
    "messaging:inbox",
    "booking:index",
    "hyropage:index",
    "messaging_rules:index",
    "upsell:index",
)


@pytest.mark.parametrize(
    ("role", "hidden"),
    [(Role.OPERATOR, ADMIN_ONLY), (Role.ANALYST, ADMIN_ONLY + OPERATOR_WORK)],
)
def test_links_follow_the_role(client, tenant, role, hidden):
    client.force_login(MembershipFactory(tenant=tenant, role=role).user)
    links = _sidebar(client, tenant, "web:overview")
    expected = [name for name in ALL_LINKS if name not in hidden]
    assert [href for href, _current in links] == _urls(tenant, expected)


def test_labels_and_icons_come_through(admin_client_web, tenant, english_ui):
    body = admin_client_web.get(reverse("tenants:team", args=[tenant.slug])).content.decode()
    for label in ("Overview", "Leads", "API keys", "Plan and billing", "Company settings"):
        assert re.search(rf"</svg>\s*{label}</a></li>", body), label
    assert body.count('<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">') >= 9
