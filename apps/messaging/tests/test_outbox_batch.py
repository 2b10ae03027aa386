"""queue_messages: many outbox messages in a few queries, checked exactly as one at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.leads.models import TimelineEntry, TimelineKind
from apps.messaging.addresses import remember_address
from apps.messaging.errors import NoAddress, Suppressed
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.messaging.outbox import OutboxBatch, queue_message, queue_messages
from apps.messaging.suppression import suppress
from apps.messaging.tasks import send_message_task
from apps.messaging.tests.fakes import make_channel, make_lead
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The send tasks queued after commit (not run)."""
    calls = []
    monkeypatch.setattr(send_message_task, "delay", lambda *args: calls.append(args))
    return calls


def _leads(tenant, count, start=0):
    return [
        make_lead(tenant, email=f"lead{n}@example.com", phone=f"+7916123{n:04d}")
        for n in range(start, start + count)
    ]


def _items(leads, prefix, **extra):
    return [
        {"lead": lead, "body": f"Hi {n}", "idempotency_key": f"{prefix}:{n}", **extra}
        for n, lead in enumerate(leads)
    ]


def _queries(tenant, items) -> int:
    with tenant_scope(tenant), CaptureQueriesContext(connection) as captured:
        answers = queue_messages(tenant=tenant, items=items)
    assert all(isinstance(answer, Message) for answer in answers)
    return len(captured)


@pytest.mark.parametrize("channel_given", [True, False], ids=["channel", "routed"])
def test_queueing_n_messages_takes_the_same_queries_as_queueing_two(
    tenant, sent, django_capture_on_commit_callbacks, channel_given
):
    email = make_channel(tenant, "sendgrid")
    sms = make_channel(tenant, "twilio")
    extra = {"channel": email} if channel_given else {}
    leads = _leads(tenant, 22)
    with tenant_scope(tenant):
        remember_address(tenant, leads[0], "email", "first@example.com")
        # one conversation exists already, the others are created by the batch
        Conversation.objects.create(tenant=tenant, lead=leads[2])
    small = _queries(tenant, _items(leads[:2], "small", **extra))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        large = _queries(tenant, _items(leads[2:], "large", **extra))

    assert large == small
    assert len(callbacks) == 1 and len(sent) == 20  # one callback queues every send
    with tenant_scope(tenant):
        messages = list(Message.objects.filter(idempotency_key__startswith="large:"))
        assert len(messages) == 20
        assert {m.status for m in messages} == {MessageStatus.QUEUED}
        assert {m.channel_id for m in messages} == {email.pk}  # routed: the first connected
        assert sms.pk not in {m.channel_id for m in messages}
        assert TimelineEntry.objects.filter(kind=TimelineKind.MESSAGE_OUT).count() == 22
        conversation = Conversation.objects.get(lead=leads[2])
        assert conversation.last_message_preview == "Hi 0"
        assert conversation.channel_id == email.pk
        assert Conversation.objects.count() == 22
    first = Message.objects.unscoped().get(idempotency_key="small:0")
    assert first.address == "first@example.com"  # the address the lead wrote from


def test_a_batch_refuses_exactly_what_one_at_a_time_refuses(tenant, sent):
    email = make_channel(tenant, "sendgrid")
    tg = make_channel(tenant, "telegram")
    ok, opted_out, no_consent, bounced_reply, no_email = _leads(tenant, 5)
    no_email.email = ""
    no_email.save()
    with tenant_scope(tenant):
        suppress(tenant, "email", opted_out.email)
        suppress(tenant, "email", bounced_reply.email, reason="bounce")
        remember_address(tenant, bounced_reply, "telegram", "77")
        inbound = Message.objects.create(
            tenant=tenant,
            conversation=Conversation.objects.create(tenant=tenant, lead=bounced_reply),
            lead=bounced_reply,
            direction=Direction.IN,
            channel=email,
            channel_kind="email",
            address=bounced_reply.email,
            body="Still here",
            status=MessageStatus.RECEIVED,
            idempotency_key="in:1",
        )
    cases = [
        {"lead": ok, "body": "Hi", "channel": email},
        {"lead": opted_out, "body": "Hi", "channel": email},
        {"lead": no_consent, "body": "Sale!", "channel": email, "marketing": True},
        {"lead": bounced_reply, "body": "Re: hi", "in_reply_to": inbound},  # a direct reply
        {"lead": bounced_reply, "body": "Hi"},  # routed to where it wrote from: suppressed
        {"lead": no_email, "body": "Hi", "channel": email},
        {"lead": no_email, "body": "Hi", "channel": tg},
    ]

    def outcome(answer):
        if isinstance(answer, Message):
            return ("queued", answer.channel_id, answer.address)
        return (type(answer).__name__, getattr(answer, "reason", ""))

    with tenant_scope(tenant):
        one_by_one = []
        for n, case in enumerate(cases):
            try:
                answer = queue_message(tenant=tenant, idempotency_key=f"one:{n}", **case)
            except (Suppressed, NoAddress) as refused:
                answer = refused
            one_by_one.append(outcome(answer))
        batch = [
            outcome(answer)
            for answer in queue_messages(
                tenant=tenant,
                items=[{**case, "idempotency_key": f"many:{n}"} for n, case in enumerate(cases)],
            )
        ]
        stored = set(
            Message.objects.filter(idempotency_key__startswith="many:").values_list(
                "idempotency_key", flat=True
            )
        )

    assert batch == one_by_one
    assert batch == [
        ("queued", email.pk, ok.email),
        ("Suppressed", "opt_out"),
        ("Suppressed", "no_consent"),
        ("queued", email.pk, bounced_reply.email),
        ("Suppressed", "bounce"),
        ("NoAddress", ""),
        ("NoAddress", ""),
    ]
    assert stored == {"many:0", "many:3"}  # nothing of a refused item is stored


def test_a_key_stored_or_repeated_answers_that_message(
    tenant, sent, django_capture_on_commit_callbacks
):
    email = make_channel(tenant, "sendgrid")
    first, later = _leads(tenant, 2)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        stored = queue_message(tenant=tenant, lead=first, body="Hi", idempotency_key="k")
        suppress(tenant, "email", first.email)  # the stored one still answers its key
        answers = queue_messages(
            tenant=tenant,
            items=[
                {"lead": first, "body": "Hi", "idempotency_key": "k", "channel": email},
                {"lead": later, "body": "Hi", "idempotency_key": "new"},
                {"lead": later, "body": "Again", "idempotency_key": "new"},
            ],
        )
        assert Message.objects.count() == 2
    assert answers[0].pk == stored.pk
    assert answers[1].pk == answers[2].pk and answers[1].body == "Hi"
    assert len(sent) == 2  # the stored key queues nothing again


def test_a_key_stored_meanwhile_by_a_concurrent_call_answers_the_stored_message(tenant, sent):
    email = make_channel(tenant, "sendgrid")
    first, second = _leads(tenant, 2)
    with tenant_scope(tenant):
        batch = OutboxBatch(tenant)
        batch.prepare([first, second], keys=["race", "other"])
        raced = batch.add(lead=first, body="Hi", idempotency_key="race", channel=email)
        other = batch.add(lead=second, body="Hi", idempotency_key="other", channel=email)
        meanwhile = queue_message(tenant=tenant, lead=first, body="Won", idempotency_key="race")
        batch.commit()  # the one insert fails on the key: stored one by one

        assert raced.message.pk == meanwhile.pk and not raced.new
        assert other.new and Message.objects.get(idempotency_key="other").pk == other.message.pk
        assert Message.objects.count() == 2
        assert TimelineEntry.objects.filter(kind=TimelineKind.MESSAGE_OUT).count() == 2
