"""/api/v1/tenants/{tenant_id}/booking/settings/ (admins) and …/bookings/ (operators)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.booking import selectors, services
from apps.booking.serializers import (
    BookingSerializer,
    BookingSettingsSerializer,
    BookingSettingsUpdateSerializer,
)
from apps.core.api import error_responses, validated
from apps.features.guards import ensure_feature
from apps.tenants.api_base import ADMIN_ONLY, TENANT_ID, TenantAPIView
from apps.tenants.roles import Role

BOOKING_ID = OpenApiParameter("booking_id", OpenApiTypes.INT, OpenApiParameter.PATH)
OPERATORS = {"GET": Role.OPERATOR, "HEAD": Role.OPERATOR, "POST": Role.OPERATOR}
TOOL = "booking"
LOCKED = " Needs the booking tool (403 `feature_locked`)."


@extend_schema(tags=["booking"], parameters=[TENANT_ID])
class BookingSettingsAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        operation_id="getBookingSettings",
        summary="Meeting booking settings (the Cal.com key masked, never returned)",
        description=LOCKED.strip(),
        responses={200: BookingSettingsSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        row = selectors.booking_settings_get(self.tenant)
        return Response(BookingSettingsSerializer(row).data)

    @extend_schema(
        operation_id="updateBookingSettings",
        summary="Change the calendar, working hours, meeting length and buffer",
        description="Times are the company's local times (its time zone). Cal.com needs an "
        "API key and an event type id (400 naming the field); a blank key keeps the stored one."
        + LOCKED,
        request=BookingSettingsUpdateSerializer,
        responses={200: BookingSettingsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        data = validated(BookingSettingsUpdateSerializer, request)
        row = services.booking_settings_save(
            tenant=self.tenant, actor=request.user, data=data, request=request
        )
        return Response(BookingSettingsSerializer(row).data)


@extend_schema(tags=["booking"], parameters=[TENANT_ID])
class BookingSettingsTestAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        operation_id="testBookingCalendar",
        summary="Test the calendar connection (Cal.com: an authenticated call)",
        description=LOCKED.strip(),
        request=None,
        responses={200: BookingSettingsSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        row = services.booking_settings_test(tenant=self.tenant)
        return Response(BookingSettingsSerializer(row).data)


@extend_schema(tags=["booking"], parameters=[TENANT_ID])
class BookingListAPI(TenantAPIView):
    roles = OPERATORS

    @extend_schema(
        operation_id="listBookings",
        summary="Upcoming meetings, soonest first",
        description=LOCKED.strip(),
        responses={200: BookingSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        bookings = selectors.booking_list_upcoming(self.tenant)
        return Response(BookingSerializer(bookings, many=True).data)


@extend_schema(tags=["booking"], parameters=[TENANT_ID, BOOKING_ID])
class BookingCancelAPI(TenantAPIView):
    roles = OPERATORS

    @extend_schema(
        operation_id="cancelBooking",
        summary="Cancel a meeting (on Cal.com too); 409 when already canceled",
        description=LOCKED.strip(),
        request=None,
        responses={200: BookingSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, tenant_id, booking_id):
        ensure_feature(self.tenant, TOOL)
        booking = self.service_call(services.booking_cancel, booking_id=booking_id)
        return Response(BookingSerializer(booking).data)
