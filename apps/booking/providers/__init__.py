"""Calendars: the built-in scheduler (no key, works offline) and Cal.com."""

from apps.booking.providers.base import Attendee, Booked, Calendar, SlotUnavailable
from apps.booking.providers.builtin import BuiltinCalendar
from apps.booking.providers.calcom import CalcomCalendar

__all__ = [
    "Attendee",
    "Booked",
    "BuiltinCalendar",
    "CalcomCalendar",
    "Calendar",
    "SlotUnavailable",
]
