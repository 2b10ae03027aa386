"""Booking a meeting: the lead's status and timeline, the events, the .ics invite, the race."""

import threading

import pytest
from django.core import mail
from django.db import connection
from icalendar import Calendar as ICal

from apps.booking import services
from apps.booking.models import Booking, BookingStatus
from apps.booking.tasks import send_booking_invite_task
from apps.booking.tests.conftest import make_lead
from apps.booking.tests.helpers import local_start
from apps.core import events
from apps.core.errors import Conflict
from apps.leads.events import MeetingBooked, MeetingCanceled
from apps.leads.models import Lead, LeadStatus, TimelineEntry
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(monkeypatch):
    seen = []
    for event_type in (MeetingBooked, MeetingCanceled):
        monkeypatch.setitem(events._in_transaction, event_type, [seen.append])
    return seen


def test_a_booking_moves_the_lead_to_meeting_booked_and_announces_it(
    tenant, booking_on, lead, received, django_capture_on_commit_callbacks
):
    start = local_start()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)

    assert booking.status == BookingStatus.BOOKED and booking.calendar == "builtin"
    assert booking.starts_at == start and (booking.ends_at - start).total_seconds() == 1800
    lead.refresh_from_db()
    assert lead.status == LeadStatus.BOOKED
    entries = TimelineEntry.objects.for_tenant(tenant).filter(lead=lead)
    assert entries.filter(kind="status_changed", data__to="booked").exists()
    assert "10:00" in entries.get(kind="note").body  # the local time of the meeting
    [event] = received
    assert isinstance(event, MeetingBooked)
    assert (event.lead_id, event.booking_id) == (lead.pk, str(booking.pk))
    assert event.starts_at == start.isoformat() and event.tenant_id == str(tenant.pk)


def test_the_invite_is_an_ics_for_the_visitor_and_the_admins(
    tenant, booking_on, lead, django_capture_on_commit_callbacks
):
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)  # not invited
    start = local_start()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)

    [message] = mail.outbox
    assert message.to == ["anna@example.com"] and message.bcc == [admin.email]
    [(name, content, mimetype)] = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar; method=REQUEST")
    calendar = ICal.from_ical(content)
    assert str(calendar["method"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == start and event.decoded("dtend") == booking.ends_at
    assert str(event["attendee"]) == "mailto:anna@example.com"
    assert tenant.name in str(event["summary"])
    # a re-delivered task sends nothing more
    with tenant_scope(tenant):
        assert send_booking_invite_task(str(tenant.pk), booking.pk) == 0
    assert len(mail.outbox) == 1


def test_an_invite_the_mail_server_refused_is_sent_on_a_retry_and_only_once(
    tenant, booking_on, lead, mail_server, django_capture_on_commit_callbacks
):
    mail_server.failures = 2
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start())

    assert mail_server.attempts == 3
    [message] = mail.outbox
    assert message.to == ["anna@example.com"] and message.attachments[0][0] == "invite.ics"
    booking.refresh_from_db()
    assert booking.invited_for == booking.starts_at
    with tenant_scope(tenant):
        assert send_booking_invite_task(str(tenant.pk), booking.pk) == 0  # re-delivered
    assert len(mail.outbox) == 1


def test_a_taken_slot_answers_409_with_the_next_free_slots(tenant, booking_on, lead):
    start = local_start()
    services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
    other = make_lead(tenant, "boris@example.com", "Борис")

    with pytest.raises(Conflict) as caught:
        services.booking_create(tenant=tenant, lead_id=other.pk, starts_at=start)

    assert caught.value.code == "slot_taken" and caught.value.status_code == 409
    nexts = caught.value.extra["next_slots"]
    assert nexts[0]["start"] == local_start(minute=30).isoformat().replace("+00:00", "Z")
    assert len(nexts) == services.NEXT_SLOTS
    assert Booking.objects.for_tenant(tenant).count() == 1
    other.refresh_from_db()
    assert other.status == LeadStatus.NEW


def test_a_start_outside_the_working_hours_is_refused(tenant, booking_on, lead):
    with pytest.raises(Conflict):
        services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start(hour=20))
    assert not Booking.objects.for_tenant(tenant).exists()


def test_booking_is_refused_while_turned_off(tenant, booking_on, lead):
    booking_on.enabled = False
    booking_on.save()
    with pytest.raises(Conflict) as caught:
        services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=local_start())
    assert caught.value.code == "booking_disabled"


def test_cancel_frees_the_slot_returns_the_lead_and_announces_it(
    tenant, booking_on, lead, admin_user, received
):
    start = local_start()
    booking = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
    services.booking_cancel(tenant=tenant, actor=admin_user, booking_id=booking.pk)

    booking.refresh_from_db()
    lead.refresh_from_db()
    assert booking.status == BookingStatus.CANCELED and lead.status == LeadStatus.CONTACTED
    assert isinstance(received[-1], MeetingCanceled) and received[-1].lead_id == lead.pk
    with pytest.raises(Conflict):
        services.booking_cancel(tenant=tenant, actor=admin_user, booking_id=booking.pk)
    # the start can be booked again
    again = services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
    assert again.status == BookingStatus.BOOKED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_visitors_taking_one_slot_at_once_one_wins_one_gets_409(tenant, booking_on):
    """Real concurrency on PostgreSQL: both threads pass every check, the unique index lets
    exactly one insert through."""
    leads = [make_lead(tenant, f"v{i}@example.com") for i in range(2)]
    start = local_start()
    barrier = threading.Barrier(2)
    outcomes = []

    def visit(lead):
        try:
            barrier.wait()
            services.booking_create(tenant=tenant, lead_id=lead.pk, starts_at=start)
            outcomes.append("booked")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=visit, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked", "slot_taken"]
    assert Booking.objects.for_tenant(tenant).filter(starts_at=start).count() == 1
    statuses = sorted(Lead.objects.for_tenant(tenant).values_list("status", flat=True))
    assert statuses == ["booked", "new"]
