"""Panels that apps above leads add to the lead page, registered at start-up.

Leads never imports those apps: an app registers (in its `wiring.py`) a template and a
function giving that template its context, e.g. AI enrichment's card with the lead's runs.
The lead page renders the registered panels in order, after the work card; panels registered
with `place="main"` go in the main column, above the timeline (the conversation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PanelContext = Callable[[Any, Any], dict]  # (tenant, lead) -> the template's extra context


@dataclass(frozen=True)
class LeadPanel:
    template: str
    context: PanelContext
    place: str = "side"


_panels: list[LeadPanel] = []


def lead_panel_register(template: str, context: PanelContext, *, place: str = "side") -> None:
    """Show `template` on every lead page, with `context(tenant, lead)` (once per template),
    in the side column (`place="side"`) or the main one (`"main"`)."""
    if all(panel.template != template for panel in _panels):
        _panels.append(LeadPanel(template, context, place))


def lead_panels(tenant, lead, *, place: str = "side") -> tuple[list[str], dict]:
    """(the panels' templates in order, their context merged) for one lead page."""
    templates: list[str] = []
    context: dict = {}
    for panel in (p for p in _panels if p.place == place):
        templates.append(panel.template)
        context.update(panel.context(tenant, lead))
    return templates, context
