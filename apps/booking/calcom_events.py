"""Cal.com's webhook deliveries: verified, recorded once, dispatched by trigger.

BOOKING_CREATED for a booking made outside the widget finds its lead (our metadata, else the
attendee's e-mail) and books it; BOOKING_CANCELLED cancels ours; BOOKING_RESCHEDULED moves
ours (payload `rescheduleUid` names the old booking, `uid` the new one). A delivery whose
signature does not match changes nothing.
"""

from __future__ import annotations

import hashlib
import json

import structlog
from django.db import IntegrityError, transaction

from apps.booking import selectors, services
from apps.booking.models import (
    Booking,
    BookingSettings,
    BookingStatus,
    CalcomDelivery,
    CalendarKind,
)
from apps.booking.providers.calcom import parse_time, signature_valid

logger = structlog.get_logger("fastlead.booking")


class SignatureInvalid(Exception):
    """The X-Cal-Signature-256 of a delivery does not match the webhook's secret."""


def calcom_delivery_handle(row: BookingSettings, body: bytes, signature: str) -> str:
    """Process one delivery; returns what was done (for the answer and the log)."""
    if not signature_valid(row.calcom_webhook_secret, body, signature):
        raise SignatureInvalid()
    try:
        delivery = json.loads(body or b"{}")
    except ValueError:
        return "ignored"
    if not isinstance(delivery, dict) or not isinstance(delivery.get("payload"), dict):
        return "ignored"
    trigger = str(delivery.get("triggerEvent", ""))
    handler = HANDLERS.get(trigger)
    if handler is None:
        return "ignored"
    tenant = row.tenant
    try:
        with transaction.atomic():
            CalcomDelivery.objects.create(
                tenant=tenant, digest=hashlib.sha256(body).hexdigest(), trigger=trigger[:40]
            )
            outcome = handler(tenant, delivery["payload"])
    except IntegrityError:
        return "duplicate"
    logger.info("calcom_webhook", tenant_id=str(tenant.pk), trigger=trigger, outcome=outcome)
    return outcome


def _created(tenant, payload: dict) -> str:
    uid = str(payload.get("uid") or "")
    if selectors.booking_by_external_id(tenant, uid) is not None:
        return "known"  # booked through the widget: already recorded
    lead = _lead_of(tenant, payload)
    if lead is None:
        return "no_lead"
    attendee = (payload.get("attendees") or [{}])[0] or {}
    with transaction.atomic():  # a clash with an active booking rolls only this back
        booking = Booking.objects.create(
            tenant=tenant,
            lead=lead,
            calendar=CalendarKind.CALCOM,
            starts_at=parse_time(payload["startTime"]),
            ends_at=parse_time(payload["endTime"]),
            external_id=uid,
            attendee_name=str(attendee.get("name") or lead.name)[:200],
            attendee_email=str(attendee.get("email") or lead.email)[:254],
            time_zone=str(attendee.get("timeZone") or tenant.time_zone)[:64],
        )
        services.booking_mark_lead(tenant, booking)
    return "booked"


def _lead_of(tenant, payload: dict):
    metadata = payload.get("metadata") or {}
    lead_id = str(metadata.get("fastlead_lead") or "")
    if lead_id.isdigit() and str(metadata.get("fastlead_tenant")) == str(tenant.pk):
        lead = selectors.lead_for_id(tenant, int(lead_id))
        if lead is not None:
            return lead
    attendees = payload.get("attendees") or []
    email = attendees[0].get("email", "") if attendees and isinstance(attendees[0], dict) else ""
    return selectors.lead_for_attendee(tenant, email)


def _cancelled(tenant, payload: dict) -> str:
    booking = selectors.booking_by_external_id(tenant, str(payload.get("uid") or ""))
    if booking is None or not booking.active:
        return "unknown"
    services.booking_cancel(tenant=tenant, actor=None, booking_id=booking.pk, tell_calendar=False)
    return "canceled"


def _rescheduled(tenant, payload: dict) -> str:
    old_uid = str(payload.get("rescheduleUid") or payload.get("fromReschedule") or "")
    booking = selectors.booking_by_external_id(tenant, old_uid) or selectors.booking_by_external_id(
        tenant, str(payload.get("uid") or "")
    )
    if booking is None:
        return _created(tenant, payload)
    booking.starts_at = parse_time(payload["startTime"])
    booking.ends_at = parse_time(payload["endTime"])
    booking.external_id = str(payload.get("uid") or booking.external_id)
    booking.status = BookingStatus.RESCHEDULED
    with transaction.atomic():
        booking.save(update_fields=["starts_at", "ends_at", "external_id", "status", "updated_at"])
        services.booking_mark_lead(tenant, booking, rescheduled=True)
    return "rescheduled"


HANDLERS = {
    "BOOKING_CREATED": _created,
    "BOOKING_CANCELLED": _cancelled,
    "BOOKING_RESCHEDULED": _rescheduled,
}
