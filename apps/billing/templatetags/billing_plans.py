"""Plan cards: `{{ plan|plan_tool_names|join:", " }}` lists what the plan sells (the live
tools only)."""

from django import template

from apps.billing.plan_tools import plan_tools_sold

register = template.Library()


@register.filter
def plan_tool_names(plan) -> list[str]:
    """Names of the plan's tools that exist today, for a plan card."""
    return [str(label) for _key, label in plan_tools_sold(plan.tools)]
