"""What AI enrichment adds to the apps below it, registered at start-up (apps.py): the card
on the lead page (leads' panel registry) and the offline heuristic (apps.ai)."""

from __future__ import annotations

from apps.enrichment import offline
from apps.enrichment.selectors_dashboard import enrichment_rows_for_lead
from apps.leads.panels import lead_panel_register

LEAD_CARD = "leads/enrichment/_lead_card.html"


def _lead_card_context(tenant, lead) -> dict:
    return {"enrichment_rows": enrichment_rows_for_lead(tenant, lead)}


def register() -> None:
    lead_panel_register(LEAD_CARD, _lead_card_context)
    offline.register()
