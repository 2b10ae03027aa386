"""Each domain event of the apps below becomes the webhook event its endpoint asked for, with
the object as the API shows it; nothing is recorded without the tool or a subscribed endpoint."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.booking.models import Booking
from apps.core.events import emit
from apps.enrichment.events import EnrichmentRunFinished
from apps.enrichment.models import EnrichmentRun
from apps.integrations import subscribers as on
from apps.integrations.alerts import endpoint_disable_after_failures
from apps.integrations.flags import subscribed_types
from apps.integrations.models import WebhookEvent
from apps.integrations.services import endpoint_create, endpoint_update
from apps.leads.events import LeadsCreated, MeetingBooked
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.leads.services import lead_update
from apps.messaging.events import MessageReceived
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.tenants.scoping import tenant_scope

ALL = [
    "lead.created",
    "lead.updated",
    "lead.status_changed",
    "lead.merged",
    "message.received",
    "meeting.booked",
    "enrichment.finished",
]


@pytest.fixture
def hooked(on_business, receiver):
    with tenant_scope(on_business):
        endpoint_create(tenant=on_business, actor=None, url=receiver.url, events=ALL)
        yield on_business


def _lead(tenant, email="anna@example.com", name="Anna") -> int:
    items = [{"email": email, "name": name}]
    return ingest_leads(tenant=tenant, items=items, source="api").results[0].lead_id


def _events(receiver) -> list[dict]:
    return [json.loads(body) for body in receiver.bodies()]


def test_a_repeated_submission_is_lead_merged(hooked, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead_id = _lead(hooked)
    with django_capture_on_commit_callbacks(execute=True):
        _lead(hooked, name="Anna K.")

    assert [e["type"] for e in _events(receiver)] == ["lead.created", "lead.merged"]
    assert _events(receiver)[1]["data"]["object"]["id"] == lead_id


def test_a_hand_edit_is_lead_updated_with_the_fields(
    hooked, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead_id = _lead(hooked)
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(tenant=hooked, actor=None, lead_id=lead_id, changes={"name": "Anna Petrova"})

    updated = _events(receiver)[-1]
    assert updated["type"] == "lead.updated"
    assert updated["data"]["changed_fields"] == ["name"]
    assert updated["data"]["object"]["name"] == "Anna Petrova"


def test_message_meeting_and_enrichment_events(
    hooked, receiver, admin_user, django_capture_on_commit_callbacks
):
    tenant = hooked
    with django_capture_on_commit_callbacks(execute=True):
        lead = Lead.objects.get(pk=_lead(tenant))
    conversation = Conversation.objects.create(tenant=tenant, lead=lead)
    message = Message.objects.create(
        tenant=tenant,
        conversation=conversation,
        lead=lead,
        direction=Direction.IN,
        channel_kind="email",
        address="anna@example.com",
        body="Hello",
        status=MessageStatus.DELIVERED,
        idempotency_key="in-1",
    )
    start = timezone.now() + timedelta(days=2)
    booking = Booking.objects.create(
        tenant=tenant, lead=lead, starts_at=start, ends_at=start + timedelta(minutes=30)
    )
    run = EnrichmentRun.objects.create(tenant=tenant, requested_by=admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        emit(
            MessageReceived(
                tenant_id=str(tenant.pk),
                lead_id=lead.pk,
                message_id=message.pk,
                channel_kind="email",
            )
        )
        emit(
            MeetingBooked(
                tenant_id=str(tenant.pk),
                lead_id=lead.pk,
                booking_id=str(booking.pk),
                starts_at=start.isoformat(),
            )
        )
        emit(EnrichmentRunFinished(tenant_id=str(tenant.pk), run_id=str(run.pk)))

    by_type = {e["type"]: e["data"]["object"] for e in _events(receiver)}
    assert by_type["message.received"]["id"] == message.pk
    assert by_type["message.received"]["body"] == "Hello"
    assert by_type["meeting.booked"]["id"] == booking.pk
    assert by_type["meeting.booked"]["lead_id"] == lead.pk
    assert by_type["enrichment.finished"]["id"] == str(run.pk)


def test_nothing_is_recorded_without_the_tool_or_a_subscribed_endpoint(
    tenant, receiver, django_capture_on_commit_callbacks
):
    subscribe(tenant, "business")
    with tenant_scope(tenant):
        endpoint, _secret = endpoint_create(
            tenant=tenant, actor=None, url=receiver.url, events=["meeting.booked"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            _lead(tenant)  # lead.created: not asked for
        endpoint_update(endpoint, events=["lead.created"])
        subscribe(tenant, "start")  # the tool goes
        with django_capture_on_commit_callbacks(execute=True):
            _lead(tenant, email="boris@example.com")
        assert not WebhookEvent.objects.exists()
    assert receiver.requests == []


def test_an_endpoint_added_subscribed_or_disabled_is_seen_by_the_next_lead(
    on_business, receiver, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given a company with the tool and no endpoint: its cached answer is "nobody listens"
    with tenant_scope(on_business):
        with django_capture_on_commit_callbacks(execute=True):
            _lead(on_business, email="first@example.com")
        created = LeadsCreated(tenant_id=str(on_business.pk), source="api", lead_ids=(1,))
        with django_assert_num_queries(0):  # a lead costs the subscriber a cache read only
            on.on_leads_created(created)
        # when an endpoint is added, the very next lead is sent
        endpoint, _secret = endpoint_create(
            tenant=on_business, actor=None, url=receiver.url, events=["meeting.booked"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            _lead(on_business, email="second@example.com")  # not asked for yet
        endpoint_update(endpoint, events=["lead.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _lead(on_business, email="third@example.com")
        assert [e["data"]["object"]["email"] for e in _events(receiver)] == ["third@example.com"]
        # and once the endpoint is disabled after failures, nothing more is recorded
        endpoint_disable_after_failures(on_business, endpoint, "gone")
        count = WebhookEvent.objects.for_tenant(on_business).count()
        with django_capture_on_commit_callbacks(execute=True):
            _lead(on_business, email="fourth@example.com")
        assert WebhookEvent.objects.for_tenant(on_business).count() == count
        assert subscribed_types(on_business) == frozenset()
