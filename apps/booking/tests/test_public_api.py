"""The widget's meeting step: config flag, slots, booking for the visitor's own lead, 409."""

import json
import uuid
from unittest import mock

import pytest

from apps.booking.models import Booking
from apps.booking.tests.helpers import local_start
from apps.leads.models import Lead, LeadStatus
from apps.tenants.keys import publishable_key_get_or_create

pytestmark = pytest.mark.django_db

ORIGIN = "https://example.com"  # TenantFactory's allowed origin


@pytest.fixture
def key(tenant):
    return publishable_key_get_or_create(tenant).key


def z(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def post(client, url, body, origin=ORIGIN):
    return client.post(url, json.dumps(body), content_type="application/json", HTTP_ORIGIN=origin)


def submit(client, key, email="anna@example.com") -> str:
    submission_id = str(uuid.uuid4())
    body = {
        "name": "Анна",
        "email": email,
        "consents": {"processing": True},
        "submission_id": submission_id,
    }
    response = post(client, f"/api/public/v1/widget/{key}/leads/", body)
    assert response.status_code == 201 and response.json() == {"status": "received"}
    return submission_id


def book(client, key, submission_id, start, origin=ORIGIN):
    body = {"submission_id": submission_id, "start": z(start)}
    return post(client, f"/api/public/v1/widget/{key}/book/", body, origin=origin)


def test_the_published_config_says_whether_meetings_are_offered(client, tenant, key, booking_on):
    url = f"/api/public/v1/widget/{key}/"
    on = client.get(url, HTTP_ORIGIN=ORIGIN).json()["booking"]
    assert on["enabled"] is True
    assert on["slots_url"].endswith(f"/api/public/v1/widget/{key}/slots/")
    assert on["book_url"].endswith(f"/api/public/v1/widget/{key}/book/")


def test_the_config_says_off_by_default(client, tenant, key):
    url = f"/api/public/v1/widget/{key}/"
    assert client.get(url, HTTP_ORIGIN=ORIGIN).json()["booking"] == {"enabled": False}


def test_slots_of_a_day_in_the_company_zone(client, tenant, key, booking_on):
    day = local_start().date().isoformat()
    response = client.get(f"/api/public/v1/widget/{key}/slots/?date={day}", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 200
    body = response.json()
    assert body["date"] == day and body["time_zone"] == "Europe/Moscow"
    assert len(body["slots"]) == 16  # 10:00–18:00, 30 minutes
    assert body["slots"][0]["start"] == z(local_start())
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_a_bad_date_a_foreign_site_and_a_turned_off_booking_are_refused(
    client, tenant, key, booking_on
):
    url = f"/api/public/v1/widget/{key}/slots/"
    assert client.get(url + "?date=tomorrow", HTTP_ORIGIN=ORIGIN).json()["error"]["fields"]["date"]
    assert client.get(url, HTTP_ORIGIN="https://evil.example").status_code == 403
    booking_on.enabled = False
    booking_on.save()
    off = client.get(url, HTTP_ORIGIN=ORIGIN)
    assert off.status_code == 409 and off.json()["error"]["code"] == "booking_disabled"


def test_a_visitor_books_for_the_lead_they_just_became(client, tenant, key, booking_on):
    submission_id = submit(client, key)
    response = book(client, key, submission_id, local_start())

    assert response.status_code == 201, response.content
    assert response.json()["start"] == z(local_start())
    lead = Lead.objects.for_tenant(tenant).get()
    assert lead.status == LeadStatus.BOOKED
    assert Booking.objects.for_tenant(tenant).get().lead_id == lead.pk


@pytest.mark.postgres
def test_a_visitor_books_while_their_submission_is_still_queued(
    client, tenant, key, booking_on, settings
):
    """No worker has stored the submission yet (apps/leads/widget_intake.py, PostgreSQL): the
    booking step stores the queue itself, then books for the lead."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch("apps.leads.public_api.widget_intake_wake"):  # no worker: nothing stores
        submission_id = submit(client, key)
    assert not Lead.objects.for_tenant(tenant).exists()  # queued

    response = book(client, key, submission_id, local_start())

    assert response.status_code == 201, response.content
    lead = Lead.objects.for_tenant(tenant).get()
    assert Booking.objects.for_tenant(tenant).get().lead_id == lead.pk


def test_the_second_visitor_on_one_slot_gets_409_and_the_next_free_slots(
    client, tenant, key, booking_on
):
    first, second = submit(client, key), submit(client, key, "boris@example.com")
    assert book(client, key, first, local_start()).status_code == 201

    response = book(client, key, second, local_start())

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_taken"
    assert error["next_slots"][0]["start"] == z(local_start(minute=30))


def test_an_unknown_submission_or_another_tenants_one_cannot_book(
    client, tenant, other_tenant, key, booking_on
):
    other_key = publishable_key_get_or_create(other_tenant).key
    foreign = submit(client, other_key, "eve@example.com")

    for submission_id in (str(uuid.uuid4()), foreign, "not-a-uuid"):
        response = book(client, key, submission_id, local_start())
        assert response.status_code == 400
        assert "submission_id" in response.json()["error"]["fields"]
    assert not Booking.objects.for_tenant(tenant).exists()


def test_a_booking_from_a_foreign_site_is_refused(client, tenant, key, booking_on):
    submission_id = submit(client, key)
    response = book(client, key, submission_id, local_start(), origin="https://evil.example")
    assert response.status_code == 403
