"""The tool registry: every switchable tool of Fast Lead, in code.

A tool is a key that plans grant and `TenantFeature` rows override. Registering a new tool
needs no schema change: plans list tool keys in a JSON field (`"*"` = every registered tool)
and overrides store the key as text.

A tool is *live* once it names the URL names of its pages and endpoints (`routes`); until
then it is "coming soon": the Modules page, the features API and the plan cards do not offer
it, whatever a plan grants. The system check `features.E001` (and its test) fails when a
live tool names a route that does not resolve, so switching a tool on means adding its
pages and endpoints in the same change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.billing.plan_tools import ALL_TOOLS


@dataclass(frozen=True)
class Tool:
    key: str
    name: Promise | str
    description: Promise | str
    # URL names of the pages and endpoints that make the tool usable ("namespace:name" or a
    # plain API route name). Empty: the tool is announced but not built yet ("coming soon").
    routes: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return bool(self.routes)


class UnknownTool(KeyError):
    """A tool key that is not in the registry (a typo in a guard is a programming error)."""


_REGISTRY: dict[str, Tool] = {}


def register(tool: Tool) -> Tool:
    if tool.key in _REGISTRY:
        raise ValueError(f"Tool {tool.key!r} is registered twice")
    if not tool.key.replace("_", "").isalnum() or tool.key != tool.key.lower():
        raise ValueError(f"Tool key {tool.key!r} must be lower_snake_case")
    _REGISTRY[tool.key] = tool
    return tool


def tool_get(key: str) -> Tool:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownTool(key) from None


def tool_list() -> list[Tool]:
    """Every registered tool, in registration order."""
    return list(_REGISTRY.values())


def tool_keys() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def is_tool(key: str) -> bool:
    return key in _REGISTRY


def live_tool_keys() -> tuple[str, ...]:
    """The tools whose pages and endpoints exist, in registration order."""
    return tuple(tool.key for tool in _REGISTRY.values() if tool.live)


def tool_catalogue() -> list[tuple[str, Promise | str]]:
    """(key, name) of every tool: what billing's plans may list (`apps.billing.plan_tools`)."""
    return [(tool.key, tool.name) for tool in _REGISTRY.values()]


def expand_tools(keys: Iterable[str]) -> frozenset[str]:
    """A plan's tool list as registered keys: `"*"` means all; unknown keys are dropped (a
    tool removed from the code may linger in a plan row)."""
    keys = set(keys or ())
    if ALL_TOOLS in keys:
        return frozenset(_REGISTRY)
    return frozenset(key for key in keys if key in _REGISTRY)


register(
    Tool(
        "enrichment",
        _("AI enrichment"),
        _("Fills in company, role and industry of your leads with AI."),
        (
            "leads:enrichment_runs",
            "leads:enrichment_start",
            "api-lead-enrich",
            "api-leads-enrich",
            "api-list-enrich",
            "api-enrichment-run",
        ),
    )
)
register(
    Tool(
        "export",
        _("Export"),
        _("Download leads as CSV or Excel files."),
        ("leads:export", "api-leads-export", "api-lead-exports"),
    )
)
register(
    Tool(
        "api_access",
        _("API access"),
        _("Connect your own systems through the REST API and API keys."),
        ("leads:api_keys", "leads:api_key_create", "api-keys"),
    )
)
register(
    Tool(
        "channels",
        _("Channels"),
        _(
            "Connect your own e-mail, SMS, Telegram and WhatsApp accounts, test them and talk "
            "to your leads through them."
        ),
        (
            "channels:index",
            "channels:create",
            "api-channels",
            "api-conversations",
            "api-lead-messages",
        ),
    )
)
register(
    Tool(
        "webhooks",
        _("Webhooks and CRM"),
        _("Send lead and meeting events to your own systems, and leads to amoCRM or Bitrix24."),
        (
            "integrations:index",
            "integrations:create",
            "integrations:detail",
            "api-webhook-endpoints",
            "api-webhook-deliveries",
            "integrations:crm",
            "integrations:crm-log",
            "api-crm-connection",
        ),
    )
)
register(
    Tool(
        "booking",
        _("Meeting booking"),
        _(
            "Visitors book a meeting in the widget: the built-in scheduler or Cal.com, "
            "calendar invitations by e-mail, the lead marked “meeting booked”."
        ),
        (
            "booking:index",
            "booking:settings",
            "booking:cancel",
            "api-booking-settings",
            "api-bookings",
            "api-booking-cancel",
        ),
    )
)
register(
    Tool(
        "hyropage",
        _("HyroPage"),
        _("AI-generated landing pages that collect leads."),
        (
            "hyropage:index",
            "hyropage:create",
            "hyropage:edit",
            "hyropage:save",
            "hyropage:publish",
            "api-hyropages",
            "api-hyropage",
            "api-hyropage-publish",
        ),
    )
)
# Coming soon: announced in the design, not built yet (no routes). The issue that builds one
# adds its routes here.
register(
    Tool(
        "upsell",
        _("Upsell radar"),
        _("Spots upsell chances in your support tickets and drafts the outreach."),
        ("upsell:index", "upsell:case", "upsell:decide", "api-tickets", "api-upsell-cases"),
    )
)
register(
    Tool(
        "hyrocall",
        _("HYROCALL calls"),
        _("Calls to the leads of approved upsell cases through the HYROCALL platform."),
        ("upsell-hyrocall-webhook",),
    )
)
register(
    Tool(
        "messaging_rules",
        _("Follow-up rules"),
        _("Rule-driven follow-up messages by e-mail, SMS and messengers."),
        ("messaging_rules:index", "messaging_rules:edit", "api-events", "api-audit"),
    )
)
register(
    Tool(
        "extended_analytics",
        _("Extended analytics"),
        _("Operators: leads handled, first-response time and conversion per operator."),
        ("analytics:index", "analytics:export", "api-analytics-operators"),
    )
)
register(
    Tool(
        "advanced_analytics",
        _("Advanced analytics"),
        _("Cohorts of leads by source and week."),
        ("analytics:index", "analytics:export", "api-analytics-cohorts"),
    )
)
register(
    Tool(
        "custom_branding",
        _("Custom branding"),
        _("Your own logo and colours in the widget, without the Fast Lead mark."),
    )
)
