"""Every write of booking: settings, a meeting booked by a visitor, a cancellation.

A booking reserves the start on the tenant's calendar (the built-in scheduler or Cal.com),
stores the row — the partial unique constraint (tenant, starts_at) of active bookings settles
two visitors taking one slot at once: the second gets 409 `slot_taken` with the next free
slots — moves the lead to "meeting booked" with a timeline entry, emits `MeetingBooked` and,
once committed, e-mails the .ics invite.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.booking import selectors
from apps.booking.invites import meeting_when
from apps.booking.models import Booking, BookingSettings, BookingStatus, CalendarKind
from apps.booking.providers import (
    Attendee,
    BuiltinCalendar,
    CalcomCalendar,
    Calendar,
    SlotUnavailable,
)
from apps.booking.slots import Rules, Slot
from apps.booking.tasks import send_booking_cancellation_task, send_booking_invite_task
from apps.core.errors import ApplicationError, Conflict, ProviderError, ValidationFailed
from apps.core.events import emit
from apps.features.guards import feature_enabled
from apps.leads.events import MeetingBooked, MeetingCanceled
from apps.leads.models import LeadStatus
from apps.leads.selectors import lead_get
from apps.leads.services import lead_note_add, lead_update
from apps.tenants.audit import AuditAction, audit_record

logger = structlog.get_logger("fastlead.audit")

CALENDARS: dict[str, type[Calendar]] = {
    CalendarKind.BUILTIN: BuiltinCalendar,
    CalendarKind.CALCOM: CalcomCalendar,
}
TOOL = "booking"
NEXT_SLOTS = 5
REMOTE_DAYS_SCANNED = 3  # a remote calendar is asked about this many days for "next free"


class SlotTaken(Conflict):
    default_code = "slot_taken"


# --- settings -------------------------------------------------------------------------------


def rules_for(row: BookingSettings, tenant) -> Rules:
    return Rules(
        time_zone=tenant.time_zone,
        work_days=tuple(int(d) for d in row.work_days),
        work_from=row.work_from,
        work_to=row.work_to,
        slot_minutes=row.slot_minutes,
        buffer_minutes=row.buffer_minutes,
        days_ahead=row.days_ahead,
    )


def calendar_for(row: BookingSettings, tenant) -> Calendar:
    if row.calendar == CalendarKind.CALCOM:
        return CalcomCalendar(
            api_key=row.calcom_api_key,
            event_type_id=row.calcom_event_type_id,
            time_zone=tenant.time_zone,
            slot_minutes=row.slot_minutes,
        )
    return BuiltinCalendar(rules_for(row, tenant))


def _settings_errors(row: BookingSettings) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    days = row.work_days if isinstance(row.work_days, list) else None
    if not days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        errors["work_days"] = [_("Choose at least one working day.")]
    if row.work_from >= row.work_to:
        errors["work_to"] = [_("The end of the working day must be after its start.")]
    elif (
        datetime.combine(date.min, row.work_to) - datetime.combine(date.min, row.work_from)
    ) < timedelta(minutes=row.slot_minutes):
        errors["slot_minutes"] = [_("A meeting does not fit into the working hours.")]
    if row.calendar == CalendarKind.CALCOM:
        if not row.calcom_api_key_encrypted:
            errors["calcom_api_key"] = [_("Enter the Cal.com API key.")]
        if not row.calcom_event_type_id:
            errors["calcom_event_type_id"] = [_("Enter the Cal.com event type id.")]
    return errors


AUDITED_SETTINGS = (
    "enabled",
    "calendar",
    "work_days",
    "work_from",
    "work_to",
    "slot_minutes",
    "buffer_minutes",
    "days_ahead",
    "calcom_event_type_id",
)


def booking_settings_snapshot(row: BookingSettings) -> dict:
    """What the audit log keeps of the settings: no key or secret, only whether one is set."""
    data = {name: getattr(row, name) for name in AUDITED_SETTINGS}
    for name in ("work_from", "work_to"):
        data[name] = data[name].strftime("%H:%M")
    data["work_days"] = sorted({int(d) for d in data["work_days"] or []})
    data["calcom_api_key_set"] = bool(row.calcom_api_key_encrypted)
    data["calcom_webhook_secret_set"] = bool(row.calcom_webhook_secret_encrypted)
    return data


def booking_settings_save(*, tenant, actor, data: dict, request=None) -> BookingSettings:
    """Apply validated fields; a blank Cal.com key or secret keeps the stored one. Writes
    nothing and raises ValidationFailed (per field) when the result is inconsistent. The
    change goes into the audit log (who, before/after; a new key or secret is recorded as
    replaced, never its value)."""
    row = selectors.booking_settings_get(tenant)
    before = booking_settings_snapshot(row)
    data = dict(data)
    api_key = (data.pop("calcom_api_key", "") or "").strip()
    secret = (data.pop("calcom_webhook_secret", "") or "").strip()
    for name, value in data.items():
        setattr(row, name, value)
    if api_key:
        row.calcom_api_key = api_key
        row.last_test_ok, row.last_test_message = None, ""
    if secret:
        row.calcom_webhook_secret = secret
    errors = _settings_errors(row)
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)
    row.work_days = sorted(set(row.work_days))
    after = booking_settings_snapshot(row)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if api_key:
        changed["calcom_api_key_replaced"] = True
    if secret:
        changed["calcom_webhook_secret_replaced"] = True
    with transaction.atomic():
        _settings_store(row)
        if changed:
            audit_record(
                tenant=tenant,
                actor=actor,
                action=AuditAction.BOOKING_SETTINGS_CHANGED,
                target=row,
                before={k: before[k] for k in changed if k in before},
                after=changed,
                request=request,
            )
        transaction.on_commit(lambda: cache.delete(selectors.ENABLED_CACHE + str(tenant.pk)))
    return row


def _settings_store(row: BookingSettings) -> None:
    """Save the settings. The selector hands out unsaved defaults until the first save, which
    creates the row; of two first saves at once, the second answers 409."""
    if not row._state.adding:
        row.save()
        return
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        raise Conflict(
            _("The settings were saved by someone else just now. Reload and try again."),
            code="conflict",
        ) from None


def booking_settings_test(*, tenant) -> BookingSettings:
    """Test the calendar connection; stores and returns the outcome (never raises for a
    refused key: the message says what the calendar answered)."""
    row = selectors.booking_settings_get(tenant)
    try:
        row.last_test_message = calendar_for(row, tenant).check()[:500]
        row.last_test_ok = True
    except ProviderError as error:
        row.last_test_message = (error.user_message or error.message)[:500]
        row.last_test_ok = False
    if row._state.adding:
        _settings_store(row)  # testing the defaults: the outcome creates the row
    else:
        row.save(update_fields=["last_test_ok", "last_test_message", "updated_at"])
    return row


# --- slots ----------------------------------------------------------------------------------


def _enabled_settings(tenant) -> BookingSettings:
    row = selectors.booking_settings_get(tenant)
    if not row.enabled or not feature_enabled(tenant, TOOL):
        raise Conflict(_("Meeting booking is turned off."), code="booking_disabled")
    return row


def _provider_failed(error: ProviderError) -> ApplicationError:
    return ApplicationError(
        error.user_message or _("The calendar is unavailable. Try again later."),
        code="calendar_unavailable",
        status=503,
    )


def _day_slots(calendar: Calendar, rules: Rules, tenant, day: date, now: datetime) -> list[Slot]:
    start = datetime.combine(day, time(), tzinfo=rules.zone) - timedelta(days=1)
    busy = selectors.busy_between(tenant, start, start + timedelta(days=3))
    return calendar.slots(day, now=now, busy=busy)


def slots_for_day(*, tenant, day: date) -> list[Slot]:
    """The free meeting starts of the tenant's local `day`."""
    row = _enabled_settings(tenant)
    try:
        return _day_slots(calendar_for(row, tenant), rules_for(row, tenant), tenant, day, now())
    except ProviderError as error:
        raise _provider_failed(error) from None


def slots_first_day(*, tenant) -> tuple[date, list[Slot]]:
    """The company's first day from today with free starts, and those starts (today and
    none when the horizon has no free time): the widget opens on a day it can book."""
    row = _enabled_settings(tenant)
    calendar, rules = calendar_for(row, tenant), rules_for(row, tenant)
    today, moment = company_today(tenant), now()
    days = REMOTE_DAYS_SCANNED if calendar.remote else rules.days_ahead + 1
    try:
        for offset in range(days):
            day = today + timedelta(days=offset)
            slots = _day_slots(calendar, rules, tenant, day, moment)
            if slots:
                return day, slots
    except ProviderError as error:
        raise _provider_failed(error) from None
    return today, []


def now() -> datetime:
    return timezone.now()


def company_today(tenant) -> date:
    return now().astimezone(ZoneInfo(tenant.time_zone)).date()


def next_free_slots(tenant, row: BookingSettings, after: datetime) -> list[Slot]:
    """Up to NEXT_SLOTS free starts from `after` on (offered with a 409)."""
    rules, calendar = rules_for(row, tenant), calendar_for(row, tenant)
    day, found = after.astimezone(rules.zone).date(), []
    days = REMOTE_DAYS_SCANNED if calendar.remote else rules.days_ahead + 1
    try:
        for offset in range(days):
            slots = _day_slots(calendar, rules, tenant, day + timedelta(days=offset), now())
            found += [s for s in slots if s.starts_at >= after]
            if len(found) >= NEXT_SLOTS:
                break
    except ProviderError:
        pass  # the 409 still says the slot is taken; the list is only a courtesy
    return found[:NEXT_SLOTS]


def _taken(tenant, row, starts_at: datetime) -> SlotTaken:
    slots = next_free_slots(tenant, row, starts_at)
    return SlotTaken(
        _("This time has just been taken. Choose another one."),
        extra={"next_slots": [slot.as_json() for slot in slots]},
    )


# --- bookings -------------------------------------------------------------------------------


def booking_create(*, tenant, lead_id, starts_at: datetime, language: str = "ru"):
    """Book the start for the lead on the tenant's calendar (see the module docstring)."""
    row = _enabled_settings(tenant)
    lead = lead_get(tenant, lead_id)
    calendar = calendar_for(row, tenant)
    if calendar.remote and not lead.email:
        raise ValidationFailed(
            _("An e-mail is needed to book a meeting."),
            fields={"email": [_("Leave your e-mail in the form first.")]},
        )
    attendee = Attendee(
        name=lead.name or lead.email or lead.phone,
        email=lead.email,
        time_zone=tenant.time_zone,
        language=language,
    )
    metadata = {"fastlead_tenant": tenant.pk, "fastlead_lead": lead.pk}
    try:
        booked = calendar.book(starts_at, attendee, metadata=metadata)
    except SlotUnavailable:
        raise _taken(tenant, row, starts_at) from None
    except ProviderError as error:
        raise _provider_failed(error) from None
    try:
        with transaction.atomic():
            booking = _store(tenant, lead, row.calendar, booked, attendee)
    except IntegrityError:
        _release(calendar, booked.external_id)
        raise _taken(tenant, row, starts_at) from None
    return booking


def _store(tenant, lead, kind: str, booked, attendee: Attendee):
    booking = Booking.objects.create(
        tenant=tenant,
        lead=lead,
        calendar=kind,
        starts_at=booked.starts_at,
        ends_at=booked.ends_at,
        external_id=booked.external_id,
        attendee_name=attendee.name[:200],
        attendee_email=attendee.email,
        time_zone=attendee.time_zone,
        language=attendee.language,
    )
    booking_mark_lead(tenant, booking)
    return booking


def _release(calendar: Calendar, external_id: str) -> None:
    """Undo a remote reservation our own database refused (best effort, logged)."""
    if not external_id:
        return
    try:
        calendar.cancel(external_id, reason="Slot taken in Fast Lead")
    except ProviderError as error:
        logger.warning("booking_release_failed", code=error.code)


def booking_mark_lead(tenant, booking, *, rescheduled: bool = False) -> None:
    """The lead's side of a booking: status "meeting booked", a timeline note, the event the
    rules and analytics subscribe to, and the invite e-mail once committed."""
    lead_update(
        tenant=tenant, actor=None, lead_id=booking.lead_id, changes={"status": LeadStatus.BOOKED}
    )
    text = _("Meeting rescheduled to %(when)s.") if rescheduled else _("Meeting booked: %(when)s.")
    lead_note_add(
        tenant=tenant,
        actor=None,
        lead_id=booking.lead_id,
        body=text % {"when": meeting_when(booking)},
    )
    emit(
        MeetingBooked(
            tenant_id=str(tenant.pk),
            lead_id=booking.lead_id,
            booking_id=str(booking.pk),
            starts_at=booking.starts_at.isoformat(),
        )
    )
    if not CALENDARS[booking.calendar].sends_invites:
        transaction.on_commit(lambda: send_booking_invite_task.delay(str(tenant.pk), booking.pk))


def booking_cancel(*, tenant, actor, booking_id, tell_calendar: bool = True):
    """Cancel an active booking (and on Cal.com, unless Cal.com told us); the lead goes back
    to "contacted" when this was its only active meeting; the visitor gets the cancellation
    by e-mail once committed (the built-in scheduler's; Cal.com sends its own)."""
    with transaction.atomic():
        booking = selectors.booking_get(tenant, booking_id, for_update=True)
        if not booking.active:
            raise Conflict(_("This meeting is already canceled."), code="already_canceled")
        if tell_calendar and booking.external_id:
            row = selectors.booking_settings_get(tenant)
            try:
                calendar_for(row, tenant).cancel(booking.external_id)
            except ProviderError as error:
                raise _provider_failed(error) from None
        booking.status = BookingStatus.CANCELED
        booking.save(update_fields=["status", "updated_at"])
        _lead_after_cancel(tenant, actor, booking)
        if not CALENDARS[booking.calendar].sends_invites:  # Cal.com tells its attendees
            transaction.on_commit(
                lambda: send_booking_cancellation_task.delay(str(tenant.pk), booking.pk)
            )
    return booking


def _lead_after_cancel(tenant, actor, booking) -> None:
    lead = lead_get(tenant, booking.lead_id)
    body = _("Meeting canceled: %(when)s.") % {"when": meeting_when(booking)}
    lead_note_add(tenant=tenant, actor=actor, lead_id=lead.pk, body=body)
    others = selectors.active_bookings_of_lead(tenant, lead.pk)
    if lead.status == LeadStatus.BOOKED and not others:
        lead_update(
            tenant=tenant, actor=actor, lead_id=lead.pk, changes={"status": LeadStatus.CONTACTED}
        )
    emit(MeetingCanceled(tenant_id=str(tenant.pk), lead_id=lead.pk, booking_id=str(booking.pk)))
