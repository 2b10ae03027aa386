"""Booking serializers: the Cal.com key and webhook secret are write-only, shown masked."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.booking.models import BookingStatus, CalendarKind
from apps.core.api import ClockTimeField, StrictFieldsMixin
from apps.core.crypto import mask


def _day() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=6)


def webhook_url(row) -> str:
    """The Cal.com webhook URL; "" until the settings are first saved (an unsaved row's token
    is not stored, so no delivery could find it)."""
    if row._state.adding:
        return ""
    return settings.SITE_URL + reverse("booking:calcom-webhook", args=[row.webhook_token])


class BookingSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    calendar = serializers.ChoiceField(choices=CalendarKind.choices)
    work_days = serializers.ListField(child=_day(), help_text="Monday = 0 … Sunday = 6.")
    work_from = ClockTimeField(help_text="HH:MM, the company's local time.")
    work_to = ClockTimeField(help_text="HH:MM, the company's local time.")
    slot_minutes = serializers.IntegerField(min_value=10, max_value=240)
    buffer_minutes = serializers.IntegerField(min_value=0, max_value=120)
    days_ahead = serializers.IntegerField(min_value=1, max_value=90)
    calcom_event_type_id = serializers.IntegerField(allow_null=True, min_value=1)
    calcom_api_key = serializers.SerializerMethodField(help_text="Masked; never returned.")
    webhook_url = serializers.SerializerMethodField(
        help_text="Paste into Cal.com → Settings → Developer → Webhooks, with a secret. "
        "Empty until the settings are first saved."
    )
    last_test_ok = serializers.BooleanField(allow_null=True)
    last_test_message = serializers.CharField()

    @extend_schema_field(serializers.CharField())
    def get_calcom_api_key(self, row) -> str:
        return mask(row.calcom_api_key) if row.calcom_api_key_encrypted else ""

    @extend_schema_field(serializers.CharField())
    def get_webhook_url(self, row) -> str:
        return webhook_url(row)


class BookingSettingsUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    calendar = serializers.ChoiceField(choices=CalendarKind.choices, required=False)
    work_days = serializers.ListField(child=_day(), required=False, allow_empty=True)
    work_from = ClockTimeField(required=False, help_text="HH:MM, the company's local time.")
    work_to = ClockTimeField(required=False, help_text="HH:MM, the company's local time.")
    slot_minutes = serializers.IntegerField(min_value=10, max_value=240, required=False)
    buffer_minutes = serializers.IntegerField(min_value=0, max_value=120, required=False)
    days_ahead = serializers.IntegerField(min_value=1, max_value=90, required=False)
    calcom_event_type_id = serializers.IntegerField(allow_null=True, min_value=1, required=False)
    calcom_api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Blank keeps the stored key.",
    )
    calcom_webhook_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Blank keeps the stored secret.",
    )


class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField()
    lead_name = serializers.CharField(source="lead.name")
    calendar = serializers.ChoiceField(choices=CalendarKind.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    external_id = serializers.CharField()
    attendee_name = serializers.CharField()
    attendee_email = serializers.CharField()
