"""Meeting booking as a plan tool (guarded on its pages, its API and the widget), its
settings in the audit log, and the e-mails to the visitor: the confirmation with the time and
the cancellation, each in the visitor's language, each once."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar as ICal

from apps.billing.models import Plan
from apps.billing.tests.helpers import subscribe
from apps.booking import services
from apps.booking.models import Booking
from apps.booking.tasks import send_booking_cancellation_task
from apps.booking.tests.helpers import local_start
from apps.features.registry import expand_tools, tool_get
from apps.tenants.audit import AuditAction, audit_log
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

ORIGIN = "https://example.com"  # TenantFactory's allowed origin


@pytest.fixture
def on_email_plan(tenant):
    """The tenant moved to the e-mail plan in euros, which has no meeting booking."""
    subscribe(tenant, "email_2500")
    return tenant


# --- the tool ---------------------------------------------------------------------------


def test_booking_is_a_live_tool_of_the_rouble_plans_and_not_of_the_email_plans():
    assert tool_get("booking").live
    tools = {plan.code: expand_tools(plan.tools) for plan in Plan.objects.all()}
    assert {code for code, keys in tools.items() if "booking" in keys} == {
        "trial",
        "start",
        "pro",
        "business",
    }


def test_the_plans_api_sells_booking_on_start(client):
    plans = {plan["code"]: plan for plan in client.get("/api/v1/plans/").json()}
    assert "booking" in plans["start"]["tools"]
    assert "booking" not in plans["email_2500"]["tools"]


def test_without_the_tool_the_api_answers_feature_locked(
    admin_api, tenant, booking_on, on_email_plan
):
    base = f"/api/v1/tenants/{tenant.pk}/"
    for response in (
        admin_api.get(f"{base}booking/settings/"),
        admin_api.put(f"{base}booking/settings/", {"enabled": False}, format="json"),
        admin_api.post(f"{base}booking/settings/test/"),
        admin_api.get(f"{base}bookings/"),
        admin_api.post(f"{base}bookings/1/cancel/"),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "feature_locked"
        assert response.json()["error"]["feature"] == "booking"
    assert booking_on.enabled  # nothing changed


def test_without_the_tool_the_page_shows_the_lock_and_its_actions_answer_403(
    admin_client_web, tenant, booking_on, lead, on_email_plan
):
    with tenant_scope(tenant):
        booking = Booking.objects.create(
            tenant=tenant,
            lead=lead,
            calendar="builtin",
            starts_at=local_start(),
            ends_at=local_start(minute=30),
        )
    response = admin_client_web.get(reverse("booking:index", args=[tenant.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-tool-locked="booking"' in html and 'name="slot_minutes"' not in html
    assert lead.name not in html
    for name, args in (("settings", []), ("test", []), ("cancel", [booking.pk])):
        url = reverse(f"booking:{name}", args=[tenant.slug, *args])
        assert admin_client_web.post(url, {"enabled": "on"}).status_code == 403
    booking.refresh_from_db()
    assert booking.active


def test_without_the_tool_the_widget_offers_no_meetings(client, tenant, booking_on, on_email_plan):
    key = publishable_key_get_or_create(tenant).key
    config = client.get(f"/api/public/v1/widget/{key}/", HTTP_ORIGIN=ORIGIN).json()
    assert config["booking"] == {"enabled": False}
    response = client.get(f"/api/public/v1/widget/{key}/slots/", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "booking_disabled"


# --- the widget opens on a day with free time -------------------------------------------


def test_without_a_date_the_slots_are_of_the_first_day_with_free_time(
    client, tenant, booking_on, lead
):
    # given: today is fully booked or over — only the day after tomorrow has working hours
    today = services.company_today(tenant)
    later = today + timedelta(days=2)
    booking_on.work_days = [later.weekday()]
    booking_on.save()
    key = publishable_key_get_or_create(tenant).key

    body = client.get(f"/api/public/v1/widget/{key}/slots/", HTTP_ORIGIN=ORIGIN).json()

    assert body["date"] == later.isoformat()
    assert body["slots"][0]["start"] == local_start(days=2).isoformat().replace("+00:00", "Z")


# --- audit --------------------------------------------------------------------------------


def test_a_settings_change_is_audited_with_before_and_after_and_no_secret(
    admin_api, tenant, admin_user
):
    url = f"/api/v1/tenants/{tenant.pk}/booking/settings/"
    body = {
        "enabled": True,
        "calendar": "calcom",
        "calcom_api_key": "cal_live_secret_value",
        "calcom_event_type_id": 42,
    }
    assert admin_api.put(url, body, format="json").status_code == 200

    [entry] = audit_log(tenant).filter(action=AuditAction.BOOKING_SETTINGS_CHANGED)
    assert entry.actor == admin_user and entry.target_type == "booking.bookingsettings"
    assert entry.before == {
        "enabled": False,
        "calendar": "builtin",
        "calcom_event_type_id": None,
        "calcom_api_key_set": False,
    }
    assert entry.after["enabled"] is True and entry.after["calcom_api_key_replaced"] is True
    assert "cal_live_secret_value" not in json.dumps([entry.before, entry.after])
    # saving the same again changes nothing and records nothing
    admin_api.put(url, {"enabled": True}, format="json")
    assert audit_log(tenant).filter(action=AuditAction.BOOKING_SETTINGS_CHANGED).count() == 1


def test_a_change_from_the_page_is_audited(admin_client_web, tenant, admin_user):
    form = {
        "enabled": "on",
        "calendar": "builtin",
        "work_days": ["0", "1"],
        "work_from": "09:00",
        "work_to": "17:00",
        "slot_minutes": "30",
        "buffer_minutes": "0",
        "days_ahead": "14",
    }
    admin_client_web.post(reverse("booking:settings", args=[tenant.slug]), form)
    entry = audit_log(tenant).get(action=AuditAction.BOOKING_SETTINGS_CHANGED)
    assert entry.after["work_days"] == [0, 1] and entry.after["work_from"] == "09:00"
    assert entry.ip == "127.0.0.1"


# --- the visitor's e-mails ----------------------------------------------------------------


def _book(tenant, lead, language="ru", callbacks=None):
    with callbacks(execute=True):
        return services.booking_create(
            tenant=tenant, lead_id=lead.pk, starts_at=local_start(), language=language
        )


def test_the_confirmation_says_when_in_the_visitors_language(
    tenant, booking_on, lead, django_capture_on_commit_callbacks
):
    _book(tenant, lead, "en", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject.startswith(f"Meeting with {tenant.name}:")
    assert "is booked for" in message.body and "10:00" in message.body


def test_a_canceled_meeting_is_e_mailed_to_the_visitor_once(
    tenant, booking_on, lead, admin_user, django_capture_on_commit_callbacks
):
    booking = _book(tenant, lead, "ru", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(tenant=tenant, actor=admin_user, booking_id=booking.pk)

    [message] = mail.outbox
    assert message.to == ["anna@example.com"] and message.bcc == [admin_user.email]
    assert "отменена" in message.subject and "10:00" in message.body
    [(name, content, mimetype)] = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar; method=CANCEL")
    calendar = ICal.from_ical(content)
    [event] = calendar.walk("VEVENT")
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"booking-{booking.pk}-{tenant.pk}@fastlead"
    # a re-delivered task sends nothing more
    with tenant_scope(tenant):
        assert send_booking_cancellation_task(str(tenant.pk), booking.pk) == 0
    assert len(mail.outbox) == 1


def test_a_cancellation_on_a_calendar_that_mails_its_attendees_sends_nothing_itself(
    tenant, booking_on, lead, admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    booking = _book(tenant, lead, "ru", django_capture_on_commit_callbacks)
    mail.outbox.clear()
    monkeypatch.setattr(services.CALENDARS["builtin"], "sends_invites", True)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(tenant=tenant, actor=admin_user, booking_id=booking.pk)
    assert mail.outbox == []
