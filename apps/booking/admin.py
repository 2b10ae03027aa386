"""Staff console: bookings and booking settings (the Cal.com key never shown)."""

from django.contrib import admin

from apps.booking.models import Booking, BookingSettings
from apps.tenants.admin_base import StaffAccessAudited


@admin.register(Booking)
class BookingAdmin(StaffAccessAudited, admin.ModelAdmin):
    list_display = ("starts_at", "tenant", "lead_id", "calendar", "status", "external_id")
    list_filter = ("calendar", "status")
    search_fields = ("tenant__name", "external_id", "attendee_email")
    readonly_fields = ("tenant", "lead", "calendar", "starts_at", "ends_at", "external_id")
    raw_id_fields = ("lead",)

    def get_queryset(self, request):
        return Booking.objects.unscoped().select_related("tenant")

    def has_add_permission(self, request):
        return False


@admin.register(BookingSettings)
class BookingSettingsAdmin(admin.ModelAdmin):
    list_display = ("tenant", "enabled", "calendar", "slot_minutes", "last_test_ok")
    list_filter = ("enabled", "calendar")
    search_fields = ("tenant__name",)
    exclude = ("calcom_api_key_encrypted", "calcom_webhook_secret_encrypted")
    readonly_fields = ("tenant",)

    def get_queryset(self, request):
        return BookingSettings.objects.unscoped().select_related("tenant")

    def has_add_permission(self, request):
        return False
