"""Reads of booking: the tenant's settings, its bookings, the busy intervals of a day."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from apps.booking.models import ACTIVE_STATUSES, Booking, BookingSettings
from apps.core.errors import ObjectNotFound
from apps.leads.identity import normalize_email
from apps.leads.models import Lead

ENABLED_CACHE = "booking:enabled:"
ENABLED_SECONDS = 600


def booking_settings_get(tenant) -> BookingSettings:
    """The tenant's settings; until they are first saved, the defaults (built-in calendar,
    off) as an unsaved row: a read writes nothing, `booking_settings_save` creates the row."""
    row = BookingSettings.objects.for_tenant(tenant).first()
    return row if row is not None else BookingSettings(tenant=tenant)


def booking_settings_by_webhook_token(token: str) -> BookingSettings:
    row = (
        BookingSettings.objects.unscoped()
        .select_related("tenant")
        .filter(webhook_token=str(token)[:64])
        .first()
    )
    if row is None:
        raise ObjectNotFound()
    return row


def booking_enabled(tenant_id: str) -> bool:
    """Whether the widget offers meetings (cached until the settings change)."""
    key = ENABLED_CACHE + str(tenant_id)
    cached = cache.get(key)
    if cached is None:
        row = BookingSettings.objects.unscoped().filter(tenant_id=tenant_id).first()
        cached = bool(row and row.enabled)
        cache.set(key, cached, ENABLED_SECONDS)
    return bool(cached)


def booking_list_upcoming(tenant, *, now: datetime | None = None, limit: int = 100):
    """Active bookings that have not ended yet, soonest first, with their lead."""
    return list(
        Booking.objects.for_tenant(tenant)
        .filter(status__in=ACTIVE_STATUSES, ends_at__gt=now or timezone.now())
        .select_related("lead")
        .order_by("starts_at", "id")[:limit]
    )


def booking_get(tenant, booking_id, *, for_update: bool = False) -> Booking:
    query = Booking.objects.for_tenant(tenant)
    query = query.select_for_update() if for_update else query.select_related("lead")
    try:
        return query.get(pk=int(booking_id))
    except (Booking.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


def booking_by_external_id(tenant, external_id: str) -> Booking | None:
    if not external_id:
        return None
    return Booking.objects.for_tenant(tenant).filter(external_id=external_id).first()


def busy_between(tenant, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return list(
        Booking.objects.for_tenant(tenant)
        .filter(status__in=ACTIVE_STATUSES, starts_at__lt=end, ends_at__gt=start)
        .values_list("starts_at", "ends_at")
    )


def lead_for_attendee(tenant, email: str) -> Lead | None:
    """The tenant's most recent lead with this e-mail (a Cal.com booking made outside the
    widget)."""
    email = normalize_email(email)
    if not email:
        return None
    return Lead.objects.for_tenant(tenant).filter(email=email).order_by("-id").first()


def active_bookings_of_lead(tenant, lead_id: int) -> list[int]:
    """Ids of the lead's active bookings."""
    return list(
        Booking.objects.for_tenant(tenant)
        .filter(lead_id=lead_id, status__in=ACTIVE_STATUSES)
        .values_list("id", flat=True)
    )


def lead_for_id(tenant, lead_id: int) -> Lead | None:
    return Lead.objects.for_tenant(tenant).filter(pk=lead_id).first()
