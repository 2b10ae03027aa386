"""Cal.com at the HTTP level (respx, formats from Cal.com's API v2 docs) and its webhook."""

import hashlib
import hmac
import json
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from django.core import mail

from apps.booking import services
from apps.booking.models import Booking, BookingSettings, BookingStatus, CalendarKind
from apps.booking.tests.helpers import local_start
from apps.core.errors import Conflict
from apps.leads.models import LeadStatus

pytestmark = pytest.mark.django_db

API = "https://api.cal.com"
KEY = "cal_live_0123456789abcdef0123"
SECRET = "whsec-calcom-test-secret"
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def calcom(booking_on):
    booking_on.calendar = CalendarKind.CALCOM
    booking_on.calcom_api_key = KEY
    booking_on.calcom_event_type_id = 4242
    booking_on.calcom_webhook_secret = SECRET
    booking_on.save()
    return booking_on


def z(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@respx.mock
def test_slots_are_read_from_calcom_with_its_version_header(tenant, calcom):
    start = local_start()
    route = respx.get(f"{API}/v2/slots").mock(
        return_value=httpx.Response(
            200,
            json={
                "status": "success",
                "data": {
                    start.date().isoformat(): [
                        {
                            "start": local_start(hour=11).astimezone(MSK).isoformat(),
                            "end": local_start(hour=11, minute=30).astimezone(MSK).isoformat(),
                        },
                        {"start": z(start)},
                    ]
                },
            },
        )
    )
    slots = services.slots_for_day(tenant=tenant, day=start.date())

    request = route.calls.last.request
    assert request.headers["cal-api-version"] == "2024-09-04"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.url.params["eventTypeId"] == "4242"
    assert request.url.params["timeZone"] == "Europe/Moscow"
    assert request.url.params["start"] == start.date().isoformat()
    assert [z(s.starts_at) for s in slots] == [z(start), z(local_start(hour=11))]
    assert (slots[0].ends_at - start).seconds == 1800  # no end given: the meeting length


@respx.mock
def test_a_booking_is_created_on_calcom_and_stored_with_its_uid(
    tenant, calcom, lead, django_capture_on_commit_callbacks
):
    start = local_start()
    route = respx.post(f"{API}/v2/bookings").mock(
        return_value=httpx.Response(
            201,
            json={
                "status": "success",
                "data": {
                    "id": 77,
                    "uid": "bk_abc",
                    "start": z(start),
                    "end": "2099-01-01T00:00:00Z",
                },
            },
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)

    assert mail.outbox == []  # Cal.com sends its own invitation
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["cal-api-version"] == "2024-08-13"
    assert sent["eventTypeId"] == 4242 and sent["start"] == z(start)
    assert sent["attendee"]["email"] == "anna@example.com"
    assert sent["attendee"]["timeZone"] == "Europe/Moscow"
    assert sent["metadata"] == {"fastlead_tenant": str(tenant.pk), "fastlead_lead": str(lead.pk)}
    assert booking.external_id == "bk_abc" and booking.calendar == CalendarKind.CALCOM
    lead.refresh_from_db()
    assert lead.status == LeadStatus.BOOKED


@respx.mock
def test_a_slot_calcom_refuses_is_a_409_with_its_next_slots(tenant, calcom, lead):
    start = local_start()
    respx.post(f"{API}/v2/bookings").mock(
        return_value=httpx.Response(
            400,
            json={
                "status": "error",
                "error": {
                    "code": "BadRequestException",
                    "message": "User either already has booking at this time or is not available",
                },
            },
        )
    )
    respx.get(f"{API}/v2/slots").mock(
        return_value=httpx.Response(
            200, json={"status": "success", "data": {"x": [{"start": z(local_start(minute=30))}]}}
        )
    )
    with pytest.raises(Conflict) as caught:
        services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
    assert caught.value.code == "slot_taken"
    assert caught.value.extra["next_slots"][0]["start"] == z(local_start(minute=30))
    assert not Booking.objects.for_tenant(tenant).exists()


@respx.mock
def test_cancel_cancels_on_calcom_too(tenant, calcom, lead, admin_user):
    start = local_start()
    respx.post(f"{API}/v2/bookings").mock(
        return_value=httpx.Response(
            201, json={"status": "success", "data": {"uid": "bk_1", "start": z(start)}}
        )
    )
    cancel = respx.post(f"{API}/v2/bookings/bk_1/cancel").mock(
        return_value=httpx.Response(200, json={"status": "success", "data": {}})
    )
    booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
    services.booking_cancel(tenant=tenant, actor=admin_user, booking_id=booking.pk)
    assert cancel.called and "cancellationReason" in json.loads(cancel.calls.last.request.content)


@respx.mock
def test_test_connection_stores_what_calcom_answered(tenant, calcom):
    respx.get(f"{API}/v2/me").mock(
        side_effect=[
            httpx.Response(200, json={"status": "success", "data": {"email": "owner@acme.test"}}),
            httpx.Response(401, json={"status": "error", "error": {"message": "Invalid API Key"}}),
        ]
    )
    row = services.booking_settings_test(tenant=tenant)
    assert row.last_test_ok and "owner@acme.test" in row.last_test_message
    row = services.booking_settings_test(tenant=tenant)
    assert row.last_test_ok is False and row.last_test_message == "Invalid API Key"


def test_the_key_is_encrypted_at_rest(tenant, calcom):
    stored = (
        BookingSettings.objects.for_tenant(tenant)
        .values_list("calcom_api_key_encrypted", flat=True)
        .get()
    )
    assert (
        KEY not in stored and BookingSettings.objects.for_tenant(tenant).get().calcom_api_key == KEY
    )


# --- the webhook ----------------------------------------------------------------------------


def deliver(client, row, trigger, payload, secret=SECRET):
    body = json.dumps(
        {"triggerEvent": trigger, "createdAt": "2026-12-05T10:00:00Z", "payload": payload}
    ).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/webhooks/calcom/{row.webhook_token}/",
        body,
        content_type="application/json",
        HTTP_X_CAL_SIGNATURE_256=signature,
    )


def created_payload(lead, start, uid="bk_web"):
    return {
        "uid": uid,
        "startTime": z(start),
        "endTime": z(local_start(minute=30)),
        "attendees": [{"email": lead.email, "name": lead.name, "timeZone": "Europe/Moscow"}],
        "metadata": {},
    }


def test_a_signed_booking_created_books_the_lead_once(client, tenant, calcom, lead):
    start = local_start()
    first = deliver(client, calcom, "BOOKING_CREATED", created_payload(lead, start))
    again = deliver(client, calcom, "BOOKING_CREATED", created_payload(lead, start))

    assert first.status_code == 200 and first.json() == {"status": "booked"}
    assert again.json() == {"status": "duplicate"}
    booking = Booking.objects.for_tenant(tenant).get()
    assert booking.external_id == "bk_web" and booking.lead_id == lead.pk
    lead.refresh_from_db()
    assert lead.status == LeadStatus.BOOKED


def test_a_bad_signature_changes_nothing(client, tenant, calcom, lead):
    response = deliver(
        client, calcom, "BOOKING_CREATED", created_payload(lead, local_start()), secret="wrong"
    )
    unsigned = client.post(
        f"/webhooks/calcom/{calcom.webhook_token}/", b"{}", content_type="application/json"
    )
    assert response.status_code == 403 and unsigned.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not Booking.objects.for_tenant(tenant).exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_an_unknown_webhook_token_is_404(client, calcom):
    assert (
        client.post("/webhooks/calcom/nope/", b"{}", content_type="application/json").status_code
        == 404
    )


def test_cancelled_and_rescheduled_update_the_booking_and_the_lead(client, tenant, calcom, lead):
    start = local_start()
    deliver(client, calcom, "BOOKING_CREATED", created_payload(lead, start, uid="bk_1"))
    later = local_start(days=3, hour=12)
    moved = {
        **created_payload(lead, later, uid="bk_2"),
        "rescheduleUid": "bk_1",
        "endTime": z(local_start(days=3, hour=12, minute=30)),
    }
    assert deliver(client, calcom, "BOOKING_RESCHEDULED", moved).json() == {"status": "rescheduled"}
    booking = Booking.objects.for_tenant(tenant).get()
    assert (booking.status, booking.external_id, booking.starts_at) == (
        BookingStatus.RESCHEDULED,
        "bk_2",
        later,
    )

    assert deliver(client, calcom, "BOOKING_CANCELLED", {"uid": "bk_2"}).json() == {
        "status": "canceled"
    }
    booking.refresh_from_db()
    lead.refresh_from_db()
    assert booking.status == BookingStatus.CANCELED and lead.status == LeadStatus.CONTACTED
