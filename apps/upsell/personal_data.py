"""Where the upsell radar keeps a person's data (apps/core/personal_data.py): the requester of
each support ticket, the quotes and rationale about it, the drafted outreach and the call's
transcript; registered from apps/upsell/wiring.py. Tickets also have a retention category."""

from __future__ import annotations

from django.db.models import Q

from apps.core.personal_data import (
    BLANK,
    EMPTY_JSON,
    REDACT,
    FoundByAddress,
    Person,
    PersonalData,
    Retention,
    register_personal_data,
    register_retention,
)
from apps.upsell.models import Classification, OutreachClaim, Ticket, UpsellCase

# The tickets this person wrote (by their addresses) or whose case became this lead.
_tickets = FoundByAddress(Ticket, ("requester_email", "requester_phone"), lead="case__lead")


def _classifications(person: Person):
    tickets = _tickets(person).values("pk")
    return Classification.objects.unscoped().filter(ticket__in=tickets)


def _cases(person: Person):
    tickets = _tickets(person).values("pk")
    return UpsellCase.objects.unscoped().filter(ticket__in=tickets)


def _claims(person: Person):
    """The "not twice in 30 days" claims name the person by address; they go with the person."""
    keys = {f"e:{v.lower()}" for v in person.identifiers} | {f"p:{v}" for v in person.identifiers}
    rows = OutreachClaim.objects.unscoped().filter(tenant_id=person.tenant_id)
    return rows.filter(Q(person_key__in=keys) | Q(case__in=_cases(person).values("pk")))


ENTRIES = (
    PersonalData(
        "upsell.ticket",
        model=Ticket,
        find=_tickets,
        label="Support tickets",
        fields={
            "requester_name": REDACT,
            "requester_email": BLANK,
            "requester_phone": BLANK,
            "subject": REDACT,
            "body": REDACT,
            "tags": EMPTY_JSON,
        },
        identifier_fields=("requester_email", "requester_phone"),
        context_fields=("id", "source", "external_id", "status", "received_at"),
    ),
    PersonalData(
        "upsell.classification",
        model=Classification,
        find=_classifications,
        label="Ticket classifications",
        fields={"rationale": REDACT, "evidence_quotes": EMPTY_JSON},
        context_fields=("id", "score", "recommended_product", "created_at"),
    ),
    PersonalData(
        "upsell.upsellcase",
        model=UpsellCase,
        find=_cases,
        label="Upsell cases",
        fields={
            "person_key": REDACT,
            "email_subject": REDACT,
            "email_body": REDACT,
            "call_script": REDACT,
            "call_summary": REDACT,
            "call_transcript": REDACT,
            "email_detail": REDACT,
            "call_detail": REDACT,
        },
        context_fields=("id", "status", "product", "tier", "created_at"),
    ),
    PersonalData(
        "upsell.outreachclaim",
        model=OutreachClaim,
        find=_claims,
        erase="delete",
        label="Upsell outreach claims",
        fields={"person_key": REDACT},
        context_fields=("id", "product_key", "claimed_at"),
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
    register_retention(Retention("tickets", model=Ticket, date_field="received_at"))
