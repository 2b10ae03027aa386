"""Where booking keeps a person's data (apps/core/personal_data.py): the attendee of each
meeting, registered from apps/booking/wiring.py."""

from __future__ import annotations

from apps.booking.models import Booking
from apps.core.personal_data import BLANK, REDACT, PersonalData, register_personal_data

ENTRIES = (
    PersonalData(
        "booking.booking",
        model=Booking,
        lead="lead",
        label="Meetings",
        fields={"attendee_name": REDACT, "attendee_email": BLANK},
        context_fields=("id", "starts_at", "status", "calendar", "time_zone"),
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
