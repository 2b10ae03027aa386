import pytest

from apps.features import registry
from apps.features.checks import live_tools_have_their_routes, missing_routes, route_exists
from apps.features.registry import (
    ALL_TOOLS,
    Tool,
    expand_tools,
    live_tool_keys,
    register,
    tool_get,
    tool_keys,
)

REQUIRED = {
    "enrichment",
    "hyropage",
    "upsell",
    "hyrocall",
    "export",
    "api_access",
    "webhooks",
    "advanced_analytics",
    "custom_branding",
    "messaging_rules",
}


def test_registry_holds_every_tool_of_the_issue_with_names():
    assert set(tool_keys()) >= REQUIRED
    for key in tool_keys():
        tool = tool_get(key)
        assert str(tool.name) and str(tool.description)


def test_every_live_tool_names_routes_that_resolve():
    # A tool shows as available only when its pages and endpoints exist: switching a tool
    # on (giving it routes) must add those routes in the same change.
    assert live_tool_keys(), "no live tool at all"
    assert missing_routes() == []
    assert live_tools_have_their_routes() == []


def test_a_live_tool_with_a_route_that_does_not_exist_fails_the_check():
    register(Tool("probe_unbuilt", "x", "y", ("leads:no_such_page", "api-no-such-endpoint")))
    try:
        errors = live_tools_have_their_routes()
    finally:
        registry._REGISTRY.pop("probe_unbuilt")
    assert [e.id for e in errors] == ["features.E001", "features.E001"]
    assert route_exists("leads:export") and route_exists("api-leads-export")
    assert not route_exists("nowhere:export")


def test_tools_without_pages_are_coming_soon():
    soon = {"custom_branding"}
    assert soon.isdisjoint(live_tool_keys())
    live = {"enrichment", "export", "api_access", "messaging_rules", "webhooks"}
    live |= {"upsell", "hyrocall", "hyropage"}
    live |= {"extended_analytics", "advanced_analytics"}
    assert live <= set(live_tool_keys())


def test_star_expands_to_every_registered_tool_and_unknown_keys_are_dropped():
    assert expand_tools([ALL_TOOLS]) == frozenset(tool_keys())
    assert expand_tools(["export", "no_such_tool"]) == {"export"}


def test_a_tool_cannot_be_registered_twice_or_with_a_bad_key():
    with pytest.raises(ValueError):
        register(Tool("export", "x", "y"))
    with pytest.raises(ValueError):
        register(Tool("Bad Key", "x", "y"))
