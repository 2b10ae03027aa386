"""/api/v1/tenants/{tenant_id}/booking/… and …/bookings/…"""

from django.urls import path

from apps.booking import api

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path(
        f"{tenant}booking/settings/", api.BookingSettingsAPI.as_view(), name="api-booking-settings"
    ),
    path(
        f"{tenant}booking/settings/test/",
        api.BookingSettingsTestAPI.as_view(),
        name="api-booking-settings-test",
    ),
    path(f"{tenant}bookings/", api.BookingListAPI.as_view(), name="api-bookings"),
    path(
        f"{tenant}bookings/<int:booking_id>/cancel/",
        api.BookingCancelAPI.as_view(),
        name="api-booking-cancel",
    ),
]
