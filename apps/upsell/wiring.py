"""What upsell radar registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.ai.providers.offline import register_offline_handler
from apps.core.navigation import register_nav
from apps.leads.panels import lead_panel_register
from apps.upsell import personal_data
from apps.upsell.drafts import OutreachDraft, template_draft_offline
from apps.upsell.navigation import NAV
from apps.upsell.panels import lead_upsell_context
from apps.upsell.prompt import TicketClassification, classify_offline


def connect() -> None:
    register_offline_handler(TicketClassification, classify_offline)
    register_offline_handler(OutreachDraft, template_draft_offline)
    lead_panel_register("upsell/_lead_panel.html", lead_upsell_context)
    register_nav(*NAV)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
