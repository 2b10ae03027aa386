"""The "Meetings" page: settings for admins, the list with cancel for operators."""

import pytest
from django.urls import reverse

from apps.booking import services
from apps.booking.models import BookingSettings
from apps.booking.tests.helpers import local_start

pytestmark = pytest.mark.django_db


def page(tenant, name="index", *args):
    return reverse(f"booking:{name}", args=[tenant.slug, *args])


def test_an_admin_sees_settings_and_upcoming_meetings(
    admin_client_web, tenant, booking_on, lead, django_assert_max_num_queries
):
    services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start())
    with django_assert_max_num_queries(40):
        response = admin_client_web.get(page(tenant))
    html = response.content.decode()
    assert response.status_code == 200
    assert lead.name in html and 'name="slot_minutes"' in html


def test_an_operator_sees_the_list_but_not_the_settings(operator_client_web, tenant):
    response = operator_client_web.get(page(tenant))
    assert response.status_code == 200 and 'name="slot_minutes"' not in response.content.decode()
    assert operator_client_web.post(page(tenant, "settings"), {}).status_code == 403


def test_saving_the_form_turns_booking_on(admin_client_web, tenant):
    response = admin_client_web.post(
        page(tenant, "settings"),
        {
            "enabled": "on",
            "calendar": "builtin",
            "work_days": ["0", "1", "2"],
            "work_from": "09:00",
            "work_to": "17:00",
            "slot_minutes": "60",
            "buffer_minutes": "10",
            "days_ahead": "7",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content
    row = BookingSettings.objects.for_tenant(tenant).get()
    assert row.enabled and row.work_days == [0, 1, 2] and row.slot_minutes == 60


def test_calcom_without_a_key_shows_the_error_on_the_field(admin_client_web, tenant):
    response = admin_client_web.post(
        page(tenant, "settings"),
        {
            "calendar": "calcom",
            "work_days": ["0"],
            "work_from": "09:00",
            "work_to": "17:00",
            "slot_minutes": "30",
            "buffer_minutes": "0",
            "days_ahead": "7",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Cal.com" in response.content.decode()
    assert not BookingSettings.objects.for_tenant(tenant).filter(calendar="calcom").exists()


def test_an_operator_cancels_a_meeting_from_the_page(operator_client_web, tenant, booking_on, lead):
    booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start())
    response = operator_client_web.post(page(tenant, "cancel", booking.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == "canceled"


def test_another_tenants_member_gets_404(outsider_client_web, tenant):
    assert outsider_client_web.get(page(tenant)).status_code == 404


def test_meetings_are_listed_in_the_company_time_zone(admin_client_web, tenant, booking_on, lead):
    # given a company in Yekaterinburg (UTC+5) with a meeting at 10:00 its time
    tenant.time_zone = "Asia/Yekaterinburg"
    tenant.save(update_fields=["time_zone"])
    start = local_start(zone="Asia/Yekaterinburg")
    services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
    # when an admin opens the page (the server's zone is Moscow)
    html = admin_client_web.get(page(tenant)).content.decode()
    # then it says 10:00, not Moscow's 08:00
    assert "10:00–10:30" in html and "08:00" not in html
