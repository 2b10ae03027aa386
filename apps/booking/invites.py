"""The e-mails of a booked meeting (RFC 5545 calendars built with `icalendar`): the
confirmation with the .ics invite when a meeting is booked or moved, and the cancellation
(METHOD:CANCEL for the same event) when it is canceled. The visitor gets them in the language
they used in the widget; the tenant's admins get a blind copy."""

from __future__ import annotations

from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from apps.booking.models import Booking
from apps.tenants.roles import Role
from apps.tenants.selectors import team_list

PRODID = "-//Fast Lead//Meeting booking//EN"


def meeting_when(booking: Booking) -> str:
    """The meeting's start in its time zone, formatted for the active language."""
    zone = ZoneInfo(booking.time_zone or booking.tenant.time_zone)
    local = timezone.localtime(booking.starts_at, timezone=zone)
    # "7 декабря 2026, 10:00" / "7 December 2026, 10:00": a 24-hour clock in both languages
    return f"{formats.date_format(local, 'j E Y, H:i')} ({local.tzname()})"


def _address(email: str, name: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    return address


def _organizer() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@fastlead.local"


def invite_ics(booking: Booking, *, company: str, organizer_email: str, cancel=False) -> bytes:
    """A METHOD:REQUEST (or CANCEL) calendar with one event; its UID is stable per booking,
    so a moved or canceled meeting updates the same event in the visitor's calendar
    (SEQUENCE grows)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", f"booking-{booking.pk}-{booking.tenant_id}@fastlead")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("sequence", int((booking.updated_at - booking.created_at).total_seconds()))
    event.add("summary", _("Meeting with %(company)s") % {"company": company})
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("organizer", _address(organizer_email, company))
    if booking.attendee_email:
        event.add("attendee", _address(booking.attendee_email, booking.attendee_name))
    calendar.add_component(event)
    return calendar.to_ical()


def _recipients(booking: Booking) -> list[str]:
    admins = [
        m.user.email for m in team_list(booking.tenant).filter(role=Role.ADMIN) if m.user.email
    ]
    visitor = [booking.attendee_email] if booking.attendee_email else []
    return list(dict.fromkeys(visitor + admins))


def _send(booking: Booking, *, subject: str, body: str, cancel: bool) -> int:
    recipients = _recipients(booking)
    if not recipients:
        return 0
    ics = invite_ics(
        booking, company=booking.tenant.name, organizer_email=_organizer(), cancel=cancel
    )
    method = "CANCEL" if cancel else "REQUEST"
    message = EmailMessage(subject, body, to=recipients[:1], bcc=recipients[1:])
    message.attach("invite.ics", ics, f"text/calendar; method={method}; charset=utf-8")
    return message.send()


def _language(booking: Booking) -> str:
    return booking.language or settings.LANGUAGE_CODE


def invite_send(booking: Booking) -> int:
    """E-mail the confirmation with the invite; returns the number of messages sent (0
    without recipients)."""
    with translation.override(_language(booking)):
        values = {"company": booking.tenant.name, "when": meeting_when(booking)}
        subject = _("Meeting with %(company)s: %(when)s") % values
        body = (
            _(
                "Your meeting with %(company)s is booked for %(when)s.\n\n"
                "The invitation is attached: open it to add the meeting to your calendar."
            )
            % values
        )
        return _send(booking, subject=subject, body=body, cancel=False)


def cancellation_send(booking: Booking) -> int:
    """E-mail the cancellation (the invite's event, canceled); returns the messages sent."""
    with translation.override(_language(booking)):
        values = {"company": booking.tenant.name, "when": meeting_when(booking)}
        subject = _("Meeting with %(company)s canceled: %(when)s") % values
        body = (
            _(
                "Your meeting with %(company)s on %(when)s has been canceled.\n\n"
                "To choose another time, leave a request on the company's site again."
            )
            % values
        )
        return _send(booking, subject=subject, body=body, cancel=True)
