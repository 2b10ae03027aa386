"""A GET never writes: until a company first saves its booking settings, every reader gets
the defaults (built-in calendar, off) as an unsaved row; the saving services create it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.booking import selectors, services
from apps.booking.models import BookingSettings
from apps.tenants import keys

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
DEFAULTS = {
    "enabled": False,
    "calendar": "builtin",
    "work_days": [0, 1, 2, 3, 4],
    "work_from": "10:00",
    "work_to": "18:00",
    "slot_minutes": 30,
    "buffer_minutes": 0,
    "days_ahead": 14,
    "calcom_event_type_id": None,
    "calcom_api_key": "",
    "webhook_url": "",  # no stored token yet: a delivery could find nothing
    "last_test_ok": None,
    "last_test_message": "",
}


def writes_of(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if WRITE.match(query["sql"])]


def rows(tenant) -> int:
    return BookingSettings.objects.for_tenant(tenant).count()


def test_the_selector_reads_the_defaults_without_a_row(tenant):
    with CaptureQueriesContext(connection) as queries:
        row = selectors.booking_settings_get(tenant)
    assert row._state.adding and row.tenant_id == tenant.pk
    assert (row.enabled, row.calendar, row.slot_minutes) == (False, "builtin", 30)
    assert writes_of(queries) == [] and rows(tenant) == 0


def test_the_settings_api_answers_the_defaults_and_writes_nothing(admin_api, tenant):
    with CaptureQueriesContext(connection) as queries:
        response = admin_api.get(f"/api/v1/tenants/{tenant.pk}/booking/settings/")
    assert response.status_code == 200
    assert response.json() == DEFAULTS
    assert writes_of(queries) == [] and rows(tenant) == 0


def test_the_meetings_page_shows_the_defaults_and_writes_nothing(admin_client_web, tenant):
    admin_client_web.get(f"/t/{tenant.slug}/")  # the session remembers the company once
    with CaptureQueriesContext(connection) as queries:
        response = admin_client_web.get(reverse("booking:index", args=[tenant.slug]))
    assert response.status_code == 200 and 'name="slot_minutes"' in response.content.decode()
    assert writes_of(queries) == [] and rows(tenant) == 0


def test_the_widget_asking_for_slots_of_a_company_without_settings_writes_nothing(client, tenant):
    key = keys.publishable_key_live(tenant).key
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            f"/api/public/v1/widget/{key}/slots/", HTTP_ORIGIN="https://example.com"
        )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "booking_disabled"
    assert writes_of(queries) == [] and rows(tenant) == 0


def test_the_first_save_creates_the_row(tenant, admin_user):
    row = services.booking_settings_save(
        tenant=tenant, actor=admin_user, data={"enabled": True, "slot_minutes": 45}
    )
    stored = BookingSettings.objects.for_tenant(tenant).get()
    assert stored.pk == row.pk and stored.enabled and stored.slot_minutes == 45
    assert selectors.booking_settings_by_webhook_token(stored.webhook_token).pk == row.pk


def test_testing_the_default_calendar_stores_the_outcome(tenant):
    row = services.booking_settings_test(tenant=tenant)
    stored = BookingSettings.objects.for_tenant(tenant).get()
    assert stored.pk == row.pk and stored.last_test_ok is True
