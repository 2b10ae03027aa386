"""Where pay-per-lead keeps a person's data (apps/core/personal_data.py): billing lines are money
records, so erasure keeps them and removes the person (their key and reference), registered
from apps/payperlead/wiring.py."""

from __future__ import annotations

from apps.core.personal_data import BLANK, PersonalData, register_personal_data
from apps.payperlead.models import BillingLine


def _erased_person(value, row) -> str:
    """Lines of one person stay grouped (billed-before counts) without saying who it was."""
    return f"erased:{row.lead_id or row.pk}"


ENTRIES = (
    PersonalData(
        "payperlead.billingline",
        model=BillingLine,
        lead="lead",
        label="Pay-per-lead billing lines",
        money=True,
        fields={"person_key": _erased_person, "lead_ref": BLANK},
        context_fields=("id", "occurred_at", "lead_type", "action_type", "value", "billed"),
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
