"""The built-in scheduler: the tenant's working hours, no outside service, no key."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.booking import slots as slot_math
from apps.booking.providers.base import Attendee, Booked, Calendar, SlotUnavailable


class BuiltinCalendar(Calendar):
    kind = "builtin"

    def __init__(self, rules: slot_math.Rules):
        self.rules = rules

    def slots(self, day, *, now, busy):
        return slot_math.free_slots(self.rules, day, now=now, busy=busy)

    def book(self, starts_at: datetime, attendee: Attendee, *, metadata: dict) -> Booked:
        # Whether another visitor took it meanwhile is settled by the database constraint.
        slot = slot_math.is_candidate(self.rules, starts_at, timezone.now())
        if slot is None:
            raise SlotUnavailable("not a start of the working hours")
        return Booked(starts_at=slot.starts_at, ends_at=slot.ends_at)

    def cancel(self, external_id: str, *, reason: str = "") -> None:
        """Nothing to release: the booking row itself was the reservation."""

    def check(self) -> str:
        return _("Built-in scheduler: no connection needed.")
