"""Delivery against a real local receiver: signed, retried on 500 by the schedule, in order per
lead, once per event per endpoint, disabled with one e-mail after a day of failures."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.integrations import tasks
from apps.integrations.delivery import RETRY_SCHEDULE, deliveries_recover_abandoned
from apps.integrations.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.integrations.recipe import verification_recipe
from apps.integrations.services import endpoint_create
from apps.integrations.signing import signature_header, signature_verify
from apps.leads.ingestion import ingest_leads
from apps.leads.services import lead_update
from apps.tenants.scoping import tenant_scope


def _verify_with_docs_recipe(secret: str, header: str, body: bytes) -> bool:
    """The receiver's side exactly as docs/webhooks.md tells integrators to write it."""
    namespace: dict = {}
    exec(verification_recipe(), namespace)
    return namespace["verify"](secret, header, body)


def _endpoint(tenant, url, events=("lead.created", "lead.updated", "lead.status_changed")):
    endpoint, secret = endpoint_create(tenant=tenant, actor=None, url=url, events=list(events))
    return endpoint, secret


def _lead(tenant, email="anna@example.com") -> int:
    outcome = ingest_leads(tenant=tenant, items=[{"email": email, "name": "Anna"}], source="api")
    return outcome.results[0].lead_id


def _time_passes(tenant) -> None:
    """Every pending delivery is due (the retry schedule is data: move it, do not sleep)."""
    WebhookDelivery.objects.for_tenant(tenant).filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def scoped_business(on_business):
    with tenant_scope(on_business):
        yield on_business


def test_a_new_lead_arrives_signed_at_the_receiver(
    scoped_business, receiver, django_capture_on_commit_callbacks
):
    tenant = scoped_business
    endpoint, secret = _endpoint(tenant, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        lead_id = _lead(tenant)

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert _verify_with_docs_recipe(secret, headers["fastlead-signature"], body)
    assert not _verify_with_docs_recipe("whsec_wrong", headers["fastlead-signature"], body)
    assert not _verify_with_docs_recipe(secret, headers["fastlead-signature"], body + b" ")
    assert signature_verify(secret, headers["fastlead-signature"], body, now=int(time.time()))
    event = json.loads(body)
    assert event["type"] == "lead.created" and event["tenant_id"] == str(tenant.pk)
    assert event["data"]["object"]["id"] == lead_id
    assert event["data"]["object"]["email"] == "anna@example.com"
    assert headers["fastlead-event-id"] == event["id"] and event["id"].startswith("evt_")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.last_status_code == 200
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code == 200 and secret not in json.dumps(attempt.request_headers)


def test_an_old_timestamp_is_refused_by_the_recipe(scoped_business, receiver):
    secret = "whsec_test"
    body = b'{"id":"evt_1"}'
    stale = signature_header(secret, int(time.time()) - 3600, body)
    assert not _verify_with_docs_recipe(secret, stale, body)


def test_a_500_is_retried_by_the_schedule_until_it_succeeds(
    scoped_business, receiver, django_capture_on_commit_callbacks
):
    tenant = scoped_business
    _endpoint(tenant, receiver.url)
    receiver.statuses.extend([500, 500])

    with django_capture_on_commit_callbacks(execute=True):
        _lead(tenant)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code == 500
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert wait == RETRY_SCHEDULE[0]
    # given: not due yet — the beat sends nothing
    assert tasks.dispatch_webhook_deliveries_task() == 0
    assert len(receiver.requests) == 1
    # when: the first wait has passed
    _time_passes(tenant)
    tasks.dispatch_webhook_deliveries_task()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.status == DeliveryStatus.PENDING
    assert (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() == RETRY_SCHEDULE[
        1
    ]
    _time_passes(tenant)
    tasks.dispatch_webhook_deliveries_task()
    # then: the third attempt got 200; every request carried the same event
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    ids = {headers["fastlead-event-id"] for headers, _body in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    codes = list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("pk")
        .values_list("status_code", flat=True)
    )
    assert codes == [500, 500, 200]


def test_the_schedule_spans_a_day():
    assert 23 * 3600 <= sum(RETRY_SCHEDULE) <= 25 * 3600


def test_a_later_event_of_the_same_lead_waits_for_the_earlier_one(
    scoped_business, receiver, django_capture_on_commit_callbacks
):
    tenant = scoped_business
    _endpoint(tenant, receiver.url)
    receiver.statuses.append(503)
    with django_capture_on_commit_callbacks(execute=True):
        lead_id = _lead(tenant)
    other_lead = None
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(tenant=tenant, actor=None, lead_id=lead_id, changes={"status": "contacted"})
        other_lead = _lead(tenant, email="boris@example.com")

    # created failed once; updated and status_changed of the same lead wait; the other
    # lead is not held up
    types = [json.loads(body)["type"] for body in receiver.bodies()]
    assert types == ["lead.created", "lead.created"]
    assert json.loads(receiver.bodies()[1])["data"]["object"]["id"] == other_lead
    tasks.dispatch_webhook_deliveries_task()  # the waiting ones are due, but still wait
    assert len(receiver.requests) == 2

    _time_passes(tenant)
    tasks.dispatch_webhook_deliveries_task()

    of_lead = [
        json.loads(body)["type"]
        for body in receiver.bodies()
        if json.loads(body)["data"]["object"]["id"] == lead_id
    ]
    assert of_lead == ["lead.created", "lead.created", "lead.status_changed", "lead.updated"]
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists()


def test_a_task_delivered_twice_sends_once(
    scoped_business, receiver, django_capture_on_commit_callbacks
):
    tenant = scoped_business
    _endpoint(tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        _lead(tenant)
    delivery = WebhookDelivery.objects.get()

    outcome = tasks.deliver_webhook_task(str(tenant.pk), delivery.pk)  # the broker's redelivery

    assert outcome == "done"
    assert len(receiver.requests) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            tenant=tenant, endpoint=delivery.endpoint, event=delivery.event, object_key="x"
        )


def test_a_send_left_by_a_dead_worker_goes_again(
    scoped_business, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    tenant = scoped_business
    endpoint, _secret = _endpoint(tenant, receiver.url)
    with monkeypatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setattr(tasks.deliver_webhook_task, "delay", lambda *args: None)  # message lost
        _lead(tenant)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert tasks.deliver_webhook_task(str(tenant.pk), delivery.pk) == "busy"

    assert deliveries_recover_abandoned() == 1
    tasks.dispatch_webhook_deliveries_task()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(receiver.requests) == 1
    assert endpoint.pk == delivery.endpoint_id


def test_a_day_of_failures_disables_the_endpoint_with_one_email(
    scoped_business, receiver, admin_user, django_capture_on_commit_callbacks
):
    tenant = scoped_business
    endpoint, _secret = _endpoint(tenant, receiver.url)
    receiver.always = 500
    with django_capture_on_commit_callbacks(execute=True):
        _lead(tenant)
        _lead(tenant, email="boris@example.com")
    for _round in RETRY_SCHEDULE:
        _time_passes(tenant)
        tasks.dispatch_webhook_deliveries_task()

    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at is not None
    statuses = set(WebhookDelivery.objects.values_list("status", flat=True))
    assert DeliveryStatus.FAILED in statuses
    alerts = [m for m in mail.outbox if endpoint.url in m.subject]  # (and new-lead notices)
    assert len(alerts) == 1 and alerts[0].to == [admin_user.email]
    assert "24" in alerts[0].body
    first = WebhookDelivery.objects.order_by("pk").first()
    assert first.attempts == len(RETRY_SCHEDULE) + 1
    # a disabled endpoint gets nothing more
    sent = len(receiver.requests)
    with django_capture_on_commit_callbacks(execute=True):
        _lead(tenant, email="vera@example.com")
    _time_passes(tenant)
    tasks.dispatch_webhook_deliveries_task()
    assert len(receiver.requests) == sent
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).enabled is False
