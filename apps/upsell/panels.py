"""The lead page's upsell block (registered with apps.leads.panels; leads never imports us)."""

from apps.upsell import selectors


def lead_upsell_context(tenant, lead) -> dict:
    return {"upsell_cases": selectors.cases_for_lead(tenant, lead.pk)}
