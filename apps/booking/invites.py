"""The .ics invite (RFC 5545, built with `icalendar`) e-mailed to the visitor and the
tenant's admins when a meeting is booked or moved."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from apps.booking.models import Booking
from apps.tenants.roles import Role
from apps.tenants.selectors import team_list

PRODID = "-//Fast Lead//Meeting booking//EN"


def _address(email: str, name: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    return address


def invite_ics(booking: Booking, *, company: str, organizer_email: str) -> bytes:
    """A METHOD:REQUEST calendar with one event; its UID is stable per booking, so a moved
    meeting updates the same event in the visitor's calendar (SEQUENCE grows)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"booking-{booking.pk}-{booking.tenant_id}@fastlead")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("sequence", int((booking.updated_at - booking.created_at).total_seconds()))
    event.add("summary", _("Meeting with %(company)s") % {"company": company})
    event.add("status", "CONFIRMED")
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


def invite_send(booking: Booking) -> int:
    """E-mail the invite; returns the number of messages sent (0 without recipients)."""
    recipients = _recipients(booking)
    if not recipients:
        return 0
    company = booking.tenant.name
    subject = _("Meeting with %(company)s") % {"company": company}
    body = _("Your meeting is booked. The invitation is attached: add it to your calendar.")
    organizer = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@fastlead.local"
    ics = invite_ics(booking, company=company, organizer_email=organizer)
    message = EmailMessage(subject, body, to=recipients[:1], bcc=recipients[1:])
    message.attach("invite.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
    return message.send()
