"""Meeting booking: a tenant's calendar settings and the meetings visitors booked."""

from __future__ import annotations

import secrets
from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import decrypt_text, encrypt_text
from apps.core.models import TimeStampedModel
from apps.tenants.scoping import TenantOwnedModel


class CalendarKind(models.TextChoices):
    BUILTIN = "builtin", _("Built-in scheduler")
    CALCOM = "calcom", _("Cal.com")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELED = "canceled", _("Canceled")
    RESCHEDULED = "rescheduled", _("Rescheduled")


ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.RESCHEDULED)


def weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class BookingSettings(TenantOwnedModel, TimeStampedModel):
    """One row per tenant. Times are wall-clock times in the tenant's time zone."""

    enabled = models.BooleanField(_("offer meetings in the widget"), default=False)
    calendar = models.CharField(
        _("calendar"), max_length=16, choices=CalendarKind.choices, default=CalendarKind.BUILTIN
    )
    work_days = models.JSONField(_("working days"), default=weekdays, blank=True)
    work_from = models.TimeField(_("from"), default=time(10, 0))
    work_to = models.TimeField(_("to"), default=time(18, 0))
    slot_minutes = models.PositiveSmallIntegerField(
        _("meeting length, minutes"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(240)],
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between meetings, minutes"),
        default=0,
        validators=[MaxValueValidator(120)],
    )
    days_ahead = models.PositiveSmallIntegerField(
        _("days ahead"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    calcom_api_key_encrypted = models.TextField(blank=True, editable=False)
    calcom_event_type_id = models.PositiveBigIntegerField(
        _("Cal.com event type id"), null=True, blank=True
    )
    calcom_webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_token = models.CharField(
        max_length=64, unique=True, default=new_webhook_token, editable=False
    )
    last_test_ok = models.BooleanField(null=True, blank=True, editable=False)
    last_test_message = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        verbose_name = _("booking settings")
        verbose_name_plural = _("booking settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="booking_settings_tenant")]

    def __str__(self) -> str:
        return str(self.get_calendar_display())

    @property
    def calcom_api_key(self) -> str:
        """The plain key: for the Cal.com adapter only, never for output or logs."""
        return decrypt_text(self.calcom_api_key_encrypted) if self.calcom_api_key_encrypted else ""

    @calcom_api_key.setter
    def calcom_api_key(self, value: str) -> None:
        self.calcom_api_key_encrypted = encrypt_text(value) if value else ""

    @property
    def calcom_webhook_secret(self) -> str:
        token = self.calcom_webhook_secret_encrypted
        return decrypt_text(token) if token else ""

    @calcom_webhook_secret.setter
    def calcom_webhook_secret(self, value: str) -> None:
        self.calcom_webhook_secret_encrypted = encrypt_text(value) if value else ""


class Booking(TenantOwnedModel, TimeStampedModel):
    """A meeting with a lead. Two active bookings of a tenant never start at the same moment:
    the partial unique constraint settles a race between two visitors."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    calendar = models.CharField(_("calendar"), max_length=16, choices=CalendarKind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    attendee_name = models.CharField(_("name"), max_length=200, blank=True)
    attendee_email = models.CharField(_("e-mail"), max_length=254, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # The visitor's language (the widget's): the invitation and the cancellation speak it.
    language = models.CharField(max_length=8, blank=True, default="")
    # The start the .ics invite was last sent for: claims the e-mail once per (re)schedule.
    invited_for = models.DateTimeField(null=True, blank=True, editable=False)
    # When the cancellation was e-mailed: claims that e-mail once.
    cancel_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "starts_at"],
                condition=Q(status__in=["booked", "rescheduled"]),
                name="booking_one_active_per_start",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "external_id"], name="booking_tenant_external"),
            models.Index(fields=["tenant", "status", "starts_at"], name="booking_tenant_upcoming"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class CalcomDelivery(TenantOwnedModel):
    """A Cal.com webhook delivery already processed (by the digest of its body): a repeat
    answers 200 and does nothing."""

    digest = models.CharField(max_length=64)
    trigger = models.CharField(max_length=40)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "digest"], name="calcom_delivery_once")
        ]
