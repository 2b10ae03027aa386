"""What HyroPage adds to the apps below it, registered at start-up (apps.py): the offline
generator (apps.ai) and the "personal page" card on the lead page (leads' panel registry)."""

from __future__ import annotations

from apps.ai.providers.offline import register_offline_handler
from apps.hyropage.forms import BriefForm
from apps.hyropage.offline import offline_handler
from apps.hyropage.public import public_url
from apps.hyropage.schema import PageContent
from apps.hyropage.selectors import lead_page_list
from apps.leads.panels import lead_panel_register

LEAD_CARD = "hyropage/_lead_card.html"


def _lead_card_context(tenant, lead) -> dict:
    pages = lead_page_list(tenant, lead)
    for page in pages:
        page.url = public_url(page)
    form = BriefForm(
        initial={"lead_id": lead.pk, "audience": ", ".join(filter(None, [lead.company]))}
    )
    return {"hyropage_lead_pages": pages, "hyropage_form": form}


def register() -> None:
    register_offline_handler(PageContent, offline_handler)
    lead_panel_register(LEAD_CARD, _lead_card_context)
