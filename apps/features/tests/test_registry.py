import pytest

from apps.features.registry import ALL_TOOLS, Tool, expand_tools, register, tool_get, tool_keys

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


def test_registry_holds_every_tool_of_the_issue_with_names_and_guards():
    assert set(tool_keys()) >= REQUIRED
    for key in tool_keys():
        tool = tool_get(key)
        assert str(tool.name) and str(tool.description) and tool.guards


def test_star_expands_to_every_registered_tool_and_unknown_keys_are_dropped():
    assert expand_tools([ALL_TOOLS]) == frozenset(tool_keys())
    assert expand_tools(["export", "no_such_tool"]) == {"export"}


def test_a_tool_cannot_be_registered_twice_or_with_a_bad_key():
    with pytest.raises(ValueError):
        register(Tool("export", "x", "y"))
    with pytest.raises(ValueError):
        register(Tool("Bad Key", "x", "y"))
