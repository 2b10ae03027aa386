"""Where AI enrichment keeps a person's data (apps/core/personal_data.py: the answers about a
lead and the model's raw response) and how long a company keeps raw responses (retention
"ai_raw"), registered from apps/enrichment/wiring.py."""

from __future__ import annotations

from apps.core.personal_data import (
    BLANK,
    EMPTY_JSON,
    PersonalData,
    Retention,
    register_personal_data,
    register_retention,
)
from apps.enrichment.models import LeadEnrichment


def _clear_raw(rows) -> int:
    """The answer written to the lead stays; the provider's raw response goes."""
    return rows.exclude(raw_response={}).update(raw_response={})


ENTRIES = (
    PersonalData(
        "enrichment.leadenrichment",
        model=LeadEnrichment,
        lead="lead",
        label="AI enrichment",
        fields={
            # Emptied, not marked: the API describes `fields` as field -> text or null.
            "fields": EMPTY_JSON,
            "raw_response": EMPTY_JSON,
            "applied_fields": EMPTY_JSON,
            "new_fields": EMPTY_JSON,
            "kept_fields": EMPTY_JSON,
            "input_hash": BLANK,
        },
        context_fields=("id", "status", "created_at", "model_version"),
    ),
)

RETENTION = (Retention("ai_raw", model=LeadEnrichment, date_field="created_at", purge=_clear_raw),)


def register() -> None:
    register_personal_data(*ENTRIES)
    register_retention(*RETENTION)
