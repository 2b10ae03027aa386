"""The locked state of a tool's button: `{% load tools %}{% tool_locked "export" "CSV / XLSX" %}`.

A button for a tool the plan does not include never leads to the 403 "not in your plan"
page: it shows a lock, the plan that unlocks the tool and links to the plans (billing page),
or says the tool is paused until the subscription is paid.
"""

from django import template

from apps.features.registry import tool_get

register = template.Library()


@register.inclusion_tag("features/_locked_button.html", takes_context=True)
def tool_locked(context, key: str, label: str = "", block: bool = False) -> dict:
    entitlements = context.get("entitlements")
    tool = tool_get(key)
    return {
        "tool": tool,
        "label": label or tool.name,
        "plan": entitlements.unlock_plan(key) if entitlements else None,
        "paused": bool(entitlements) and not entitlements.is_active,
        "current_tenant": context.get("current_tenant"),
        "block": block,
    }


@register.inclusion_tag("features/_locked_notice.html", takes_context=True)
def tool_locked_notice(context, key: str, consequence: str = "") -> dict:
    """A card-wide notice: the tool is not in the plan, what that means, where to upgrade."""
    data = tool_locked(context, key)
    data["consequence"] = consequence
    return data
