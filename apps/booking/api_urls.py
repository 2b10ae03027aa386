"""/api/v1/tenants/{tenant_id}/booking/… and …/bookings/…"""

from apps.booking import api
from apps.core.api import api_routes

urlpatterns = api_routes(
    "tenants/<str:tenant_id>/",
    "api-",
    ("booking/settings/", api.BookingSettingsAPI, "booking-settings"),
    ("booking/settings/test/", api.BookingSettingsTestAPI, "booking-settings-test"),
    ("bookings/", api.BookingListAPI, "bookings"),
    ("bookings/<int:booking_id>/cancel/", api.BookingCancelAPI, "booking-cancel"),
)
