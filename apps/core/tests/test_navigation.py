"""The sidebar registry: apps add links at start-up; order, active state and roles."""

from types import SimpleNamespace

import pytest

from apps.core import navigation
from apps.core.navigation import NavItem, in_app, nav_entries, nav_items, on_pages, register_nav


def _match(app_name, url_name):
    return SimpleNamespace(app_name=app_name, url_name=url_name)


def _item(key, order, active_when=None, roles=None, url_name="web:overview"):
    return NavItem(
        key=key,
        label=key.title(),
        url_name=url_name,
        icon="<path/>",
        order=order,
        active_when=active_when or on_pages(key),
        roles=roles,
    )


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(navigation, "_items", {})


def test_every_app_registered_its_links_in_sidebar_order():
    assert [item.key for item in nav_items()] == [
        "overview",
        "analytics",
        "leads",
        "inbox",
        "widget",
        "channels",
        "booking",
        "hyropage",
        "messaging_rules",
        "upsell",
        "crm",
        "webhooks",
        "api_keys",
        "modules",
        "billing",
        "payperlead",
        "team",
        "settings",
        "privacy",
    ]


def test_items_come_in_order_whatever_the_registration_order(registry):
    register_nav(_item("c", 30), _item("a", 10))
    register_nav(_item("b", 20))
    assert [item.key for item in nav_items()] == ["a", "b", "c"]


def test_registering_a_key_again_replaces_it(registry):
    register_nav(_item("a", 10))
    register_nav(_item("a", 40), _item("b", 20))
    assert [(item.key, item.order) for item in nav_items()] == [("b", 20), ("a", 40)]


def test_on_pages_and_in_app_decide_the_active_link():
    leads = in_app("leads", except_pages=("widget",))
    assert leads(_match("leads", "index")) and leads(_match("leads", "detail"))
    assert not leads(_match("leads", "widget")) and not leads(_match("billing", "index"))
    assert on_pages("team")(_match("tenants", "team"))
    assert not on_pages("team")(_match("tenants", "settings"))
    assert not leads(None) and not on_pages("team")(None)


def test_a_namespaced_page_is_active_only_in_its_app():
    # the company overview and billing's overview page share the url name "overview"
    overview = on_pages("web:overview")
    assert overview(_match("web", "overview"))
    assert not overview(_match("billing", "overview"))


def test_entries_resolve_urls_mark_the_current_page_and_hide_by_role(registry):
    register_nav(
        _item("overview", 10),
        _item("keys", 20, roles=frozenset({"admin"}), url_name="tenants:team"),
    )
    admin = nav_entries(tenant_slug="acme", role="admin", match=_match("web", "overview"))
    assert [(e.key, e.url, e.active) for e in admin] == [
        ("overview", "/t/acme/", True),
        ("keys", "/t/acme/team/", False),
    ]
    analyst = nav_entries(tenant_slug="acme", role="analyst", match=None)
    assert [(e.key, e.active) for e in analyst] == [("overview", False)]
    assert str(admin[0].icon) == "<path/>"


def test_a_badge_url_is_resolved_for_the_tenant(registry):
    register_nav(
        NavItem(
            key="inbox",
            label="Inbox",
            url_name="messaging:inbox",
            icon="<path/>",
            order=1,
            active_when=on_pages("inbox"),
            badge_url_name="messaging:badge",
        ),
        _item("plain", 2),
    )
    entries = nav_entries(tenant_slug="acme", role="operator", match=None)
    assert [e.badge_url for e in entries] == ["/t/acme/inbox/badge/", ""]
