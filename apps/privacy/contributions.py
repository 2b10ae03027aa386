"""What the privacy app adds to the apps below it, registered at start-up (apps.py): the
"Personal data" card on the lead page (leads' panel registry), the check messaging and AI
enrichment ask before acting on a lead, and its own consents as personal data."""

from __future__ import annotations

from apps.core.personal_data import (
    BLANK,
    PersonalData,
    register_personal_data,
    register_processing_check,
)
from apps.leads.models import Source
from apps.leads.panels import lead_panel_register
from apps.leads.widget_hooks import register_submission_gate
from apps.privacy.flags import tenant_closed_now
from apps.privacy.models import ConsentPurpose, ConsentRecord
from apps.privacy.services import closure, consents

LEAD_CARD = "privacy/_lead_card.html"


def _lead_card_context(tenant, lead) -> dict:
    """One query: the latest consents (newest first) say whether processing is withdrawn."""
    history = list(consents.consent_history(tenant, lead)[:10])
    latest = next((c for c in history if c.purpose == ConsentPurpose.PROCESSING), None)
    withdrawn = latest is not None and not latest.granted
    return {
        "privacy_consents": history,
        "privacy_refused": withdrawn or closure.tenant_is_closed(tenant.pk),
    }


def closed_company_refuses(tenant_id, lead_ids: list[int]) -> set[int]:
    """A closed company's leads are neither messaged nor enriched while it is read-only."""
    return set(lead_ids) if tenant_closed_now(tenant_id) else set()


def on_leads_created(event) -> None:
    consents.consents_record_new(event.tenant_id, list(event.lead_ids), event.source)


def on_leads_merged(event) -> None:
    if event.source == Source.WIDGET:
        consents.consents_record_renewed(event.tenant_id, list(event.lead_ids))


def register() -> None:
    lead_panel_register(LEAD_CARD, _lead_card_context)
    register_processing_check(consents.processing_refused)
    register_processing_check(closed_company_refuses)
    register_submission_gate(closure.tenant_is_closed)  # read-only: the widget takes nothing
    register_personal_data(
        PersonalData(
            "privacy.consentrecord",
            model=ConsentRecord,
            lead="lead",
            label="Consents",
            fields={"source": BLANK},
            context_fields=("id", "created_at", "purpose", "granted", "version", "texts"),
        )
    )
