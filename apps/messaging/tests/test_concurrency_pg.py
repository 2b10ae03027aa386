"""Two workers given the same message never both send it (PostgreSQL row locks)."""

import threading

import httpx
import pytest
import respx
from django.db import connection

from apps.channels.providers.telegram import API as TG_API
from apps.messaging.addresses import remember_address
from apps.messaging.models import MessageStatus
from apps.messaging.outbox import queue_message
from apps.messaging.sending import BUSY, SENT, message_send
from apps.messaging.tasks import send_message_task
from apps.messaging.tests.fakes import TG_TOKEN, make_channel, make_lead
from apps.tenants.scoping import tenant_scope

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@respx.mock
def test_two_workers_processing_the_same_send_send_once(tenant, monkeypatch):
    make_channel(tenant, "telegram")
    lead = make_lead(tenant)
    queued = []  # the two workers below are the ones that send (no eager send on commit)
    monkeypatch.setattr(send_message_task, "delay", lambda *args: queued.append(args))
    with tenant_scope(tenant):
        remember_address(tenant, lead, "telegram", "5")
        message = queue_message(tenant=tenant, lead=lead, body="Hi", idempotency_key="race")
    assert len(queued) == 1
    start = threading.Barrier(2)
    first_done = threading.Event()
    calls = []

    def provider(request):
        calls.append(request)
        first_done.wait(timeout=10)  # the send stays in flight until the other worker is done
        return httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})

    respx.post(f"{TG_API}/bot{TG_TOKEN}/sendMessage").mock(side_effect=provider)
    outcomes = []

    def worker():
        try:
            with tenant_scope(tenant):
                start.wait(timeout=10)
                outcome, _ = message_send(tenant, message.pk, sleep=lambda s: None)
                outcomes.append(outcome)
                if outcome == BUSY:
                    first_done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == sorted([SENT, BUSY]) and len(calls) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 1
