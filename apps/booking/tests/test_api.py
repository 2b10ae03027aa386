"""The dashboard API: settings for admins, bookings for operators, other tenants see 404."""

import pytest

from apps.booking import services
from apps.booking.models import BookingSettings
from apps.booking.tests.helpers import local_start

pytestmark = pytest.mark.django_db


def settings_url(tenant):
    return f"/api/v1/tenants/{tenant.pk}/booking/settings/"


def bookings_url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.pk}/bookings", *map(str, rest)]) + "/"


def test_an_admin_reads_and_changes_the_settings(admin_api, tenant):
    assert admin_api.get(settings_url(tenant)).json()["calendar"] == "builtin"
    response = admin_api.put(
        settings_url(tenant),
        {
            "enabled": True,
            "work_days": [0, 2, 4],
            "work_from": "09:00",
            "work_to": "13:00",
            "slot_minutes": 45,
            "buffer_minutes": 15,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["enabled"] and body["work_days"] == [0, 2, 4] and body["work_from"] == "09:00"
    assert body["slot_minutes"] == 45 and body["webhook_url"].startswith("http")


def test_calcom_needs_a_key_and_an_event_type_and_never_returns_the_key(admin_api, tenant):
    missing = admin_api.put(settings_url(tenant), {"calendar": "calcom"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"calcom_api_key", "calcom_event_type_id"}
    assert not BookingSettings.objects.for_tenant(tenant).filter(calendar="calcom").exists()

    key = "cal_live_secretsecretsecret9876"
    saved = admin_api.put(
        settings_url(tenant),
        {"calendar": "calcom", "calcom_api_key": key, "calcom_event_type_id": 12},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["calcom_api_key"] == "••••9876"
    assert key not in saved.content.decode()


def test_inconsistent_hours_are_named(admin_api, tenant):
    response = admin_api.put(
        settings_url(tenant), {"work_from": "18:00", "work_to": "10:00"}, format="json"
    )
    assert response.status_code == 400 and "work_to" in response.json()["error"]["fields"]


def test_operators_cannot_touch_settings_but_list_and_cancel_meetings(
    operator_api, tenant, booking_on, lead
):
    assert operator_api.get(settings_url(tenant)).status_code == 403
    booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start())

    listed = operator_api.get(bookings_url(tenant))
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["id"] == booking.pk and row["lead_id"] == lead.pk and row["status"] == "booked"

    canceled = operator_api.post(bookings_url(tenant, booking.pk, "cancel"))
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert operator_api.post(bookings_url(tenant, booking.pk, "cancel")).status_code == 409
    assert operator_api.get(bookings_url(tenant)).json() == []


def test_analysts_see_no_meetings(analyst_api, tenant):
    assert analyst_api.get(bookings_url(tenant)).status_code == 403


def test_another_tenant_sees_nothing(outsider_api, tenant, booking_on, lead):
    booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start())
    assert outsider_api.get(bookings_url(tenant)).status_code == 404
    assert outsider_api.get(settings_url(tenant)).status_code == 404
    assert outsider_api.post(bookings_url(tenant, booking.pk, "cancel")).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"work_from": "09:00:00Z"}, "work_from"),  # HH:MM, the company's local time
        ({"work_to": "9:00"}, "work_to"),
        ({"work_to": "24:00"}, "work_to"),
        ({"enabled": "yes"}, "enabled"),  # JSON types, not coercion
        ({"slot_minutes": "30"}, "slot_minutes"),
        ({"colour": "red"}, "colour"),  # unknown field
    ],
)
def test_settings_refuse_values_off_their_schema(admin_api, tenant, body, field):
    response = admin_api.put(settings_url(tenant), body, format="json")

    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_settings_answer_working_hours_as_hh_mm(admin_api, tenant):
    body = admin_api.get(settings_url(tenant)).json()

    assert (body["work_from"], body["work_to"]) == ("10:00", "18:00")
