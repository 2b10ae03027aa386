"""Inbound webhooks at the HTTP level: per-provider verification, find-or-create the lead,
replays, unknown tokens, opt-outs, held leads over a hard quota, delivery statuses."""

import json

import pytest
from django.urls import reverse

from apps.billing.tests.helpers import meter_set, subscribe
from apps.channels.providers.telegram import SECRET_HEADER
from apps.leads.models import Lead, TimelineEntry, TimelineKind
from apps.leads.selectors import lead_filter, leads_held_count
from apps.messaging.models import Conversation, Direction, LeadAddress, Message, MessageStatus
from apps.messaging.suppression import is_suppressed
from apps.messaging.tests.fakes import (
    json_body,
    make_channel,
    make_lead,
    telegram_update,
    twilio_signature,
    whatsapp_inbound,
    whatsapp_signature,
    whatsapp_status,
)
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def hook(channel) -> str:
    return reverse("messaging_webhooks:channel", args=[channel.kind, channel.webhook_token])


def post_telegram(client, channel, update, secret=None):
    return client.post(
        hook(channel),
        json.dumps(update),
        content_type="application/json",
        headers={SECRET_HEADER: channel.webhook_token if secret is None else secret},
    )


def _messages(tenant):
    with tenant_scope(tenant):
        return list(Message.objects.order_by("id"))


def test_telegram_message_creates_the_lead_and_opens_its_conversation(client, tenant):
    channel = make_channel(tenant, "telegram")

    response = post_telegram(client, channel, telegram_update(chat_id=42, text="Сколько стоит?"))

    assert response.status_code == 200
    [message] = _messages(tenant)
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        conversation = Conversation.objects.get()
        assert TimelineEntry.objects.filter(lead=lead, kind=TimelineKind.MESSAGE_IN).count() == 1
        assert LeadAddress.objects.get().value == "42"
    assert (lead.source, lead.name, lead.held) == ("telegram", "Ivan Petrov", False)
    assert (message.direction, message.body, message.address) == ("in", "Сколько стоит?", "42")
    assert message.status == MessageStatus.RECEIVED and message.lead == lead
    assert conversation.unread_count == 1 and conversation.channel == channel

    post_telegram(client, channel, telegram_update(chat_id=42, message_id=78, text="Алло"))
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1  # found again by its chat id
        assert Conversation.objects.get().unread_count == 2


def test_replayed_update_stores_one_message(client, tenant):
    channel = make_channel(tenant, "telegram")
    update = telegram_update()
    assert post_telegram(client, channel, update).status_code == 200
    assert post_telegram(client, channel, update).status_code == 200
    assert len(_messages(tenant)) == 1


@pytest.mark.parametrize("secret", ["", "wrong-secret"])
def test_bad_telegram_secret_is_403_and_stores_nothing(client, tenant, secret):
    channel = make_channel(tenant, "telegram")
    assert post_telegram(client, channel, telegram_update(), secret=secret).status_code == 403
    assert _messages(tenant) == []
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_unknown_token_wrong_kind_or_disabled_channel_is_404(client, tenant):
    channel = make_channel(tenant, "telegram")
    url = reverse("messaging_webhooks:channel", args=["telegram", "no-such-token"])
    assert client.post(url, "{}", content_type="application/json").status_code == 404
    wrong_kind = reverse("messaging_webhooks:channel", args=["sms", channel.webhook_token])
    assert client.post(wrong_kind, "{}", content_type="application/json").status_code == 404
    channel.enabled = False
    channel.save()
    assert post_telegram(client, channel, telegram_update()).status_code == 404


def test_whatsapp_subscription_check_and_signed_messages(client, tenant):
    channel = make_channel(tenant, "whatsapp_cloud")
    challenge = client.get(
        hook(channel),
        {"hub.mode": "subscribe", "hub.verify_token": channel.webhook_token, "hub.challenge": "c1"},
    )
    refused = client.get(
        hook(channel), {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "c"}
    )
    assert (challenge.status_code, challenge.content) == (200, b"c1")
    assert refused.status_code == 403

    body = json_body(whatsapp_inbound(wa_id="79161234567", text="Hi"))
    bad = client.post(
        hook(channel),
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": whatsapp_signature(body, "other")},
    )
    assert bad.status_code == 403 and _messages(tenant) == []
    good = client.post(
        hook(channel),
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": whatsapp_signature(body)},
    )
    assert good.status_code == 200
    [message] = _messages(tenant)
    assert message.address == "79161234567" and message.lead.phone == "+79161234567"


def test_whatsapp_message_finds_the_existing_lead_by_phone(client, tenant):
    channel = make_channel(tenant, "whatsapp_cloud")
    lead = make_lead(tenant, phone="+79161234567", name="Anna K.")
    body = json_body(whatsapp_inbound(wa_id="79161234567"))
    client.post(
        hook(channel),
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": whatsapp_signature(body)},
    )
    [message] = _messages(tenant)
    assert message.lead == lead


def test_whatsapp_status_callback_marks_the_message_delivered_then_read(client, tenant):
    channel = make_channel(tenant, "whatsapp_cloud")
    lead = make_lead(tenant, phone="+79161234567")
    with tenant_scope(tenant):
        out = Message.objects.create(
            tenant=tenant,
            conversation=Conversation.objects.create(tenant=tenant, lead=lead),
            lead=lead,
            direction=Direction.OUT,
            channel=channel,
            channel_kind="whatsapp",
            address="79161234567",
            body="Hello",
            status=MessageStatus.SENT,
            provider_message_id="wamid.OUT1",
            idempotency_key="o1",
        )
    for status in ("read", "delivered"):  # out of order: read is not undone
        body = json_body(whatsapp_status(mid="wamid.OUT1", status=status))
        response = client.post(
            hook(channel),
            body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": whatsapp_signature(body)},
        )
        assert response.status_code == 200
    out.refresh_from_db()
    assert out.status == MessageStatus.READ and out.read_at and out.delivered_at


def test_twilio_signed_inbound_sms_and_status_callback(client, tenant, settings):
    settings.SITE_URL = "https://app.example.com"
    channel = make_channel(tenant, "twilio")
    url = settings.SITE_URL + hook(channel)
    params = {"MessageSid": "SM1", "From": "+79161234567", "To": "+15005550006", "Body": "Hi"}

    bad = client.post(hook(channel), params, headers={"X-Twilio-Signature": "bad"})
    assert bad.status_code == 403 and _messages(tenant) == []
    good = client.post(
        hook(channel), params, headers={"X-Twilio-Signature": twilio_signature(url, params)}
    )
    assert good.status_code == 200 and good["Content-Type"].startswith("text/xml")
    [inbound] = _messages(tenant)
    assert inbound.address == "+79161234567" and inbound.lead.phone == "+79161234567"

    with tenant_scope(tenant):
        Message.objects.create(
            tenant=tenant,
            conversation=inbound.conversation,
            lead=inbound.lead,
            direction=Direction.OUT,
            channel=channel,
            channel_kind="sms",
            address="+79161234567",
            body="Hello",
            status=MessageStatus.SENT,
            provider_message_id="SM2",
            idempotency_key="o2",
        )
    status = {"MessageSid": "SM2", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    signature = twilio_signature(url, status)
    client.post(hook(channel), status, headers={"X-Twilio-Signature": signature})
    with tenant_scope(tenant):
        failed = Message.objects.get(provider_message_id="SM2")
    assert failed.status == MessageStatus.FAILED and failed.error == "30003"


@pytest.mark.parametrize("word", ["STOP", "Стоп!", "отписаться", "Unsubscribe"])
def test_opt_out_words_put_the_address_on_the_suppression_list(client, tenant, word):
    channel = make_channel(tenant, "telegram")
    post_telegram(client, channel, telegram_update(chat_id=9, text=word))
    with tenant_scope(tenant):
        assert is_suppressed(tenant, "telegram", "9")


def test_plain_message_is_no_opt_out(client, tenant):
    channel = make_channel(tenant, "telegram")
    post_telegram(client, channel, telegram_update(chat_id=9, text="Don't stop, tell me more"))
    with tenant_scope(tenant):
        assert not is_suppressed(tenant, "telegram", "9")


def test_over_a_hard_quota_the_message_is_kept_and_the_lead_held_until_upgrade(
    client, tenant, django_capture_on_commit_callbacks
):
    subscribe(tenant, "start")
    meter_set(tenant, 500)  # Start: 500 leads a period, hard
    channel = make_channel(tenant, "telegram")

    assert post_telegram(client, channel, telegram_update(chat_id=77)).status_code == 200

    [message] = _messages(tenant)
    with tenant_scope(tenant):
        assert message.lead.held
        assert leads_held_count(tenant) == 1
        assert not lead_filter(tenant).filter(pk=message.lead_id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(tenant, "pro")
    message.lead.refresh_from_db()
    assert not message.lead.held
    with tenant_scope(tenant):
        assert leads_held_count(tenant) == 0
