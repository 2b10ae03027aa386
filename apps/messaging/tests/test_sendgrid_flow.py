"""E-mail through SendGrid end to end at the HTTP level: the outbox sends through a local fake
of SendGrid's API (anymail's backend over a real socket), the Event Webhook moves the status
(signed or by the URL's secret), Inbound Parse finds or creates the lead by e-mail."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from apps.billing.tests.helpers import subscribe
from apps.channels.models import ChannelStatus
from apps.channels.providers import sendgrid
from apps.channels.tests.fake_sendgrid import EventSigner, FakeSendGrid, event, inbound_parse
from apps.leads.models import Lead
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.messaging.outbox import queue_message
from apps.messaging.sending import FAILED, SENT, UNKNOWN, message_resend, message_send
from apps.messaging.suppression import is_suppressed
from apps.messaging.tests.fakes import make_channel, make_lead
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(monkeypatch):
    with FakeSendGrid() as server:
        monkeypatch.setattr(sendgrid, "API", server.url)
        yield server


@pytest.fixture
def channel(tenant):
    return make_channel(tenant, "sendgrid")


@pytest.fixture
def queued(tenant, channel):
    lead = make_lead(tenant, email="Lead@Example.com")
    with tenant_scope(tenant):
        return queue_message(
            tenant=tenant,
            lead=lead,
            body="Добрый день! Счёт во вложении.",
            subject="Счёт",
            channel=channel,
            idempotency_key="sg-1",
        )


def send(tenant, message):
    with tenant_scope(tenant):
        outcome = message_send(tenant, message.pk, sleep=lambda s: None)
    message.refresh_from_db()
    return outcome


def hook(channel) -> str:
    return reverse("messaging_webhooks:channel", args=[channel.kind, channel.webhook_token])


def post_events(client, channel, events, headers=None):
    return client.post(
        hook(channel), json.dumps(events), content_type="application/json", headers=headers or {}
    )


def test_the_outbox_sends_through_sendgrid(tenant, fake, queued):
    assert send(tenant, queued) == (SENT, None)
    [payload] = fake.sent
    assert payload["personalizations"][0]["to"] == [{"email": "lead@example.com"}]
    assert payload["subject"] == "Счёт"
    assert queued.status == MessageStatus.SENT
    assert queued.provider_message_id == payload["personalizations"][0]["custom_args"]["anymail_id"]


def test_a_lost_answer_is_unknown_and_never_sent_again(tenant, fake, queued):
    fake.queue_drop()
    assert send(tenant, queued) == (UNKNOWN, None)
    assert queued.status == MessageStatus.UNKNOWN and queued.error
    assert send(tenant, queued) == ("done", None)  # a redelivered task does not resend
    assert len([c for c in fake.calls if c[1] == "/v3/mail/send"]) == 1

    with tenant_scope(tenant):
        message_resend(queued)  # the operator decides
    assert send(tenant, queued) == (SENT, None) and len(fake.sent) == 1


def test_a_revoked_key_on_send_disables_the_channel(tenant, fake, channel, queued, admin_user):
    fake.api_key = "SG.rotated"
    assert send(tenant, queued)[0] == FAILED
    channel.refresh_from_db()
    assert (channel.status, channel.enabled) == (ChannelStatus.ERROR, False)
    assert "invalid, expired, or revoked" in queued.error
    assert [m.to for m in mail.outbox] == [[admin_user.email]]


def test_events_move_the_status_and_a_replay_has_one_effect(client, tenant, fake, channel, queued):
    send(tenant, queued)
    mid = queued.provider_message_id
    delivered = [event("processed", mid), event("delivered", mid, response="250 OK")]

    assert post_events(client, channel, delivered).status_code == 200
    queued.refresh_from_db()
    first = queued.delivered_at
    assert queued.status == MessageStatus.DELIVERED and first

    assert post_events(client, channel, delivered).status_code == 200  # replayed
    queued.refresh_from_db()
    assert (queued.status, queued.delivered_at) == (MessageStatus.DELIVERED, first)

    post_events(client, channel, [event("open", mid)])
    queued.refresh_from_db()
    assert queued.status == MessageStatus.READ and queued.read_at


def test_a_bounce_fails_the_message_with_its_reason_and_suppresses(
    client, tenant, fake, channel, queued
):
    send(tenant, queued)
    bounce = event(
        "bounce",
        queued.provider_message_id,
        email="lead@example.com",
        reason="550 5.1.1 The email account does not exist",
        type="bounce",
    )
    assert post_events(client, channel, [bounce]).status_code == 200
    queued.refresh_from_db()
    assert queued.status == MessageStatus.FAILED
    assert queued.error == "550 5.1.1 The email account does not exist"
    with tenant_scope(tenant):
        assert is_suppressed(tenant, "email", "lead@example.com")


def test_dropped_fails_with_the_reason(client, tenant, fake, channel, queued):
    send(tenant, queued)
    post_events(client, channel, [event("dropped", queued.provider_message_id, reason="Invalid")])
    queued.refresh_from_db()
    assert (queued.status, queued.error) == (MessageStatus.FAILED, "Invalid")


def test_signed_events_bad_signature_is_403_and_nothing_changes(client, tenant, fake, queued):
    signer = EventSigner()
    channel = queued.channel
    channel.settings = {**channel.settings, "event_webhook_key": signer.public_key}
    channel.save()
    send(tenant, queued)
    body = json.dumps([event("delivered", queued.provider_message_id)]).encode()

    for headers in ({}, EventSigner().headers(body)):
        answer = client.post(hook(channel), body, content_type="application/json", headers=headers)
        assert answer.status_code == 403
    queued.refresh_from_db()
    assert queued.status == MessageStatus.SENT

    answer = client.post(
        hook(channel), body, content_type="application/json", headers=signer.headers(body)
    )
    assert answer.status_code == 200
    queued.refresh_from_db()
    assert queued.status == MessageStatus.DELIVERED


def test_inbound_parse_creates_the_lead_by_email_and_a_replay_stores_one(client, tenant, channel):
    form = inbound_parse()
    assert client.post(hook(channel), form).status_code == 200
    assert client.post(hook(channel), form).status_code == 200  # SendGrid retried

    with tenant_scope(tenant):
        lead = Lead.objects.get()
        [message] = Message.objects.all()
        conversation = Conversation.objects.get()
    assert (lead.email, lead.name, lead.source) == ("anna@example.com", "Anna Smirnova", "email")
    assert (message.direction, message.address) == (Direction.IN, "anna@example.com")
    assert (message.subject, message.body) == (
        "Вопрос о доставке",
        "Здравствуйте! Сколько стоит доставка?",
    )
    assert conversation.unread_count == 1 and conversation.channel == channel


def test_inbound_parse_finds_the_existing_lead_by_email(client, tenant, channel):
    lead = make_lead(tenant, email="anna@example.com")
    client.post(hook(channel), inbound_parse(message_id="<m2@example.com>"))
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1
        assert Message.objects.get().lead == lead


def test_an_unknown_token_is_404(client, channel):
    url = reverse("messaging_webhooks:channel", args=["email", "no-such-token"])
    assert client.post(url, inbound_parse()).status_code == 404


def test_the_reply_box_answers_an_email_with_re_its_subject(
    client, tenant, channel, operator_client_web, english_ui
):
    subscribe(tenant, "start")
    client.post(hook(channel), inbound_parse(subject="Доставка в Казань"))
    with tenant_scope(tenant):
        lead = Lead.objects.get()
    box = operator_client_web.get(
        f"/t/{tenant.slug}/leads/{lead.pk}/conversation/reply-box/",
        {"channel": channel.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'value="Re: Доставка в Казань"' in box and "To anna@example.com" in box
