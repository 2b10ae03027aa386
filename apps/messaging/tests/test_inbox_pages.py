"""The inbox page "Входящие", the sidebar badge and the conversation card of the lead page:
listing, filters, assign to me, close, reply (with the outbox's refusals), resend, isolation."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.channels.models import Channel, ChannelStatus
from apps.channels.providers.telegram import SECRET_HEADER
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.messaging.addresses import remember_address
from apps.messaging.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageStatus,
)
from apps.messaging.tests.fake_telegram import telegram_update
from apps.tenants.models import LeadRouting
from apps.tenants.scoping import tenant_scope

HX = {"HTTP_HX_REQUEST": "true"}
TG_TOKEN = "123456:AAFakeBotTokenSecretValue9876"


def make_lead(tenant, **fields) -> Lead:
    item = {"name": "Анна", "email": "anna@example.com", **fields}
    outcome = ingest_leads(tenant=tenant, items=[item], source="api")
    return Lead.objects.for_tenant(tenant).get(pk=outcome.results[0].lead_id)


def make_channel(tenant, kind="telegram", provider="telegram", name="Bot") -> Channel:
    with tenant_scope(tenant):
        channel = Channel(
            tenant=tenant, kind=kind, provider=provider, name=name, status=ChannelStatus.CONNECTED
        )
        channel.credentials = {"bot_token": TG_TOKEN}
        channel.save()
    return channel


def inbound(tenant, lead, channel, text="Здравствуйте!", minutes_ago=0, unread=1) -> Message:
    """A conversation with one inbound message (as messaging's inbound path leaves it)."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    conversation, _ = Conversation.objects.get_or_create(
        tenant=tenant, lead=lead, defaults={"channel": channel}
    )
    Conversation.objects.unscoped().filter(pk=conversation.pk).update(
        channel=channel, last_message_at=at, last_message_preview=text, unread_count=unread
    )
    remember_address(tenant, lead, channel.kind, f"chat-{lead.pk}")
    return Message.objects.create(
        tenant=tenant,
        conversation=conversation,
        lead=lead,
        direction=Direction.IN,
        channel=channel,
        channel_kind=channel.kind,
        address=f"chat-{lead.pk}",
        body=text,
        status=MessageStatus.RECEIVED,
        idempotency_key=f"in:{lead.pk}:{text}:{minutes_ago}",
        created_at=at,
    )


def outbound(tenant, lead, channel, status, error="") -> Message:
    conversation = Conversation.objects.unscoped().get(lead=lead)
    return Message.objects.create(
        tenant=tenant,
        conversation=conversation,
        lead=lead,
        direction=Direction.OUT,
        channel=channel,
        channel_kind=channel.kind,
        address=f"chat-{lead.pk}",
        body="Ответ оператора",
        status=status,
        error=error,
        idempotency_key=f"out:{lead.pk}:{status}",
    )


def inbox_url(tenant, *rest) -> str:
    return "/".join([f"/t/{tenant.slug}/inbox", *map(str, rest)]) + "/"


def lead_url(tenant, lead, *rest) -> str:
    return "/".join([f"/t/{tenant.slug}/leads/{lead.pk}/conversation", *map(str, rest)]) + "/"


@pytest.fixture
def setup(tenant, english_ui):
    subscribe(tenant, "start")
    with tenant_scope(tenant):
        channel = make_channel(tenant)
        old = make_lead(tenant, name="Old Lead", email="old@example.com")
        new = make_lead(tenant, name="New Lead", email="new@example.com")
        inbound(tenant, old, channel, "first question", minutes_ago=30, unread=2)
        inbound(tenant, new, channel, "second question", minutes_ago=1, unread=1)
    return channel, old, new


# --- the inbox ------------------------------------------------------------------------------


def test_inbox_lists_open_conversations_newest_first_with_unread_counts(
    setup, tenant, operator_client_web, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = operator_client_web.get(inbox_url(tenant))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("New Lead") < html.index("Old Lead")
    assert "second question" in html and "first question" in html
    assert 'class="badge badge-unread" title="Unread messages">2<' in html


def test_inbox_filters_by_channel_and_assignee(setup, tenant, operator_client_web, operator_user):
    _, old, _ = setup
    with tenant_scope(tenant):
        Lead.objects.filter(pk=old.pk).update(assigned_to=operator_user)
    mine = operator_client_web.get(inbox_url(tenant), {"assignee": "me"}).content.decode()
    assert "Old Lead" in mine and "New Lead" not in mine
    nobody = operator_client_web.get(inbox_url(tenant), {"assignee": "none"}).content.decode()
    assert "New Lead" in nobody and "Old Lead" not in nobody
    sms = operator_client_web.get(inbox_url(tenant), {"channel": "sms"}).content.decode()
    assert "No conversations match these filters." in sms


def test_assign_to_me_and_close_from_the_inbox(setup, tenant, operator_client_web, operator_user):
    _, _, new = setup
    conversation = Conversation.objects.unscoped().get(lead=new)
    response = operator_client_web.post(inbox_url(tenant, conversation.pk, "take"), {}, **HX)
    assert response.status_code == 200
    new.refresh_from_db()
    assert new.assigned_to == operator_user
    response = operator_client_web.post(inbox_url(tenant, conversation.pk, "close"), {}, **HX)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    assert "New Lead" not in response.content.decode()
    closed = operator_client_web.get(inbox_url(tenant), {"status": "closed"}).content.decode()
    assert "New Lead" in closed


def test_inbox_of_another_tenant_shows_nothing_and_its_conversations_are_404(
    setup, tenant, other_tenant, outsider, operator_client_web
):
    _, old, _ = setup
    conversation = Conversation.objects.unscoped().get(lead=old)
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(inbox_url(tenant)).status_code == 404
    subscribe(other_tenant, "start")
    with tenant_scope(other_tenant):
        foreign = inbound(
            other_tenant, make_lead(other_tenant), make_channel(other_tenant), "secret words"
        )
    assert "secret words" not in operator_client_web.get(inbox_url(tenant)).content.decode()
    take = inbox_url(tenant, foreign.conversation_id, "take")
    assert operator_client_web.post(take, {}).status_code == 404
    assert Conversation.objects.unscoped().get(pk=conversation.pk).status == ConversationStatus.OPEN


def test_analyst_cannot_open_the_inbox(setup, tenant, analyst_client_web):
    assert analyst_client_web.get(inbox_url(tenant)).status_code in (403, 404)


def test_empty_inbox_says_what_will_appear(tenant, operator_client_web, english_ui):
    html = operator_client_web.get(inbox_url(tenant)).content.decode()
    assert "No open conversations." in html


def test_badge_counts_unread_of_my_and_unassigned_leads(
    setup, tenant, operator_client_web, admin_user
):
    _, old, _ = setup
    assert operator_client_web.get(inbox_url(tenant, "badge")).content.decode().count(">3<") == 1
    with tenant_scope(tenant):
        Lead.objects.filter(pk=old.pk).update(assigned_to=admin_user)  # someone else's
    assert ">1<" in operator_client_web.get(inbox_url(tenant, "badge")).content.decode()


def test_htmx_poll_returns_just_the_list(setup, tenant, operator_client_web):
    response = operator_client_web.get(inbox_url(tenant), **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="inbox-list"') or 'id="inbox-list"' in html[:200]
    assert "<html" not in html


def test_sidebar_has_the_inbox_with_a_badge_loader(tenant, operator_client_web):
    html = operator_client_web.get(inbox_url(tenant)).content.decode()
    assert f'hx-get="{inbox_url(tenant, "badge")}"' in html


# --- routing setting ------------------------------------------------------------------------


def test_admin_switches_new_lead_routing_and_operator_may_not(
    tenant, admin_client_web, operator_user, client, english_ui
):
    url = inbox_url(tenant, "routing")
    response = admin_client_web.post(url, {"lead_routing": LeadRouting.ROUND_ROBIN}, **HX)
    assert response.status_code == 200
    tenant.refresh_from_db()
    assert tenant.lead_routing == LeadRouting.ROUND_ROBIN
    assert admin_client_web.post(url, {"lead_routing": "random"}, **HX).status_code == 400
    client.force_login(operator_user)
    assert client.post(url, {"lead_routing": LeadRouting.NOTIFY_ALL}).status_code in (403, 404)
    tenant.refresh_from_db()
    assert tenant.lead_routing == LeadRouting.ROUND_ROBIN


# --- the lead page --------------------------------------------------------------------------


def test_lead_page_shows_the_conversation_and_marks_it_read(setup, tenant, operator_client_web):
    channel, old, _ = setup
    with tenant_scope(tenant):
        outbound(tenant, old, channel, MessageStatus.DELIVERED)
        outbound(tenant, old, channel, MessageStatus.FAILED, error="Bot was blocked by the user")
    html = operator_client_web.get(f"/t/{tenant.slug}/leads/{old.pk}/").content.decode()
    assert "first question" in html
    assert 'class="message-status status-delivered">Delivered<' in html
    assert "Bot was blocked by the user" in html
    assert html.count(">Resend<") == 1
    assert Conversation.objects.unscoped().get(lead=old).unread_count == 0


def test_thread_poll_shows_new_statuses(setup, tenant, operator_client_web):
    channel, old, _ = setup
    with tenant_scope(tenant):
        message = outbound(tenant, old, channel, MessageStatus.SENT)
    Message.objects.unscoped().filter(pk=message.pk).update(status=MessageStatus.READ)
    html = operator_client_web.get(lead_url(tenant, old), **HX).content.decode()
    assert 'data-status="read"' in html


def test_reply_is_queued_in_the_chosen_channel(setup, tenant, operator_client_web, operator_user):
    channel, old, _ = setup
    data = {"channel": channel.pk, "body": "Добрый день!", "idempotency_key": "k1"}
    response = operator_client_web.post(lead_url(tenant, old, "reply"), data, **HX)
    assert response.status_code == 200
    message = Message.objects.unscoped().get(lead=old, direction=Direction.OUT)
    assert (message.body, message.status, message.author) == (
        "Добрый день!",
        MessageStatus.QUEUED,
        operator_user,
    )
    assert message.address == f"chat-{old.pk}"
    operator_client_web.post(lead_url(tenant, old, "reply"), data, **HX)  # a double click
    assert Message.objects.unscoped().filter(lead=old, direction=Direction.OUT).count() == 1


def test_reply_box_says_when_the_lead_has_no_address_in_the_channel(
    setup, tenant, operator_client_web
):
    channel, _, _ = setup
    with tenant_scope(tenant):
        lonely = make_lead(tenant, name="No Telegram", email="x@example.com")
    html = operator_client_web.get(
        lead_url(tenant, lonely, "reply-box"), {"channel": channel.pk}
    ).content.decode()
    assert "This lead has no address in Telegram" in html
    data = {"channel": channel.pk, "body": "Hi", "idempotency_key": "k2"}
    response = operator_client_web.post(lead_url(tenant, lonely, "reply"), data, **HX)
    assert response.status_code == 400
    assert "no address" in response.content.decode()
    assert not Message.objects.unscoped().filter(lead=lonely).exists()


def test_reply_over_the_providers_limit_is_refused_with_the_limit(
    setup, tenant, operator_client_web
):
    channel, old, _ = setup
    data = {"channel": channel.pk, "body": "x" * 5000, "idempotency_key": "k3"}
    response = operator_client_web.post(lead_url(tenant, old, "reply"), data, **HX)
    assert response.status_code == 400
    assert "at most 4096 characters" in response.content.decode()
    assert not Message.objects.unscoped().filter(lead=old, direction=Direction.OUT).exists()


def test_resend_queues_a_failed_message_again(setup, tenant, operator_client_web):
    channel, old, _ = setup
    with tenant_scope(tenant):
        failed = outbound(tenant, old, channel, MessageStatus.FAILED, error="timeout")
        delivered = outbound(tenant, old, channel, MessageStatus.DELIVERED)
    response = operator_client_web.post(
        lead_url(tenant, old, "messages", failed.pk, "resend"), **HX
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == MessageStatus.QUEUED
    again = operator_client_web.post(
        lead_url(tenant, old, "messages", delivered.pk, "resend"), **HX
    )
    assert again.status_code == 400
    delivered.refresh_from_db()
    assert delivered.status == MessageStatus.DELIVERED


def test_reply_to_another_tenants_lead_is_404(setup, tenant, other_tenant, outsider_client_web):
    channel, old, _ = setup
    data = {"channel": channel.pk, "body": "Hi", "idempotency_key": "k4"}
    response = outsider_client_web.post(lead_url(tenant, old, "reply"), data)
    assert response.status_code == 404
    # through the outsider's own tenant: the lead id is not theirs
    response = outsider_client_web.post(lead_url(other_tenant, old, "reply"), data)
    assert response.status_code == 404
    thread = outsider_client_web.get(lead_url(other_tenant, old))
    assert thread.status_code == 404
    assert not Message.objects.unscoped().filter(lead=old, direction=Direction.OUT).exists()


def test_a_telegram_message_posted_to_the_webhook_shows_in_the_inbox(
    tenant, operator_client_web, operator_user, settings
):
    # given: a connected Telegram channel (apps/messaging's webhook, Celery eager in tests)

    subscribe(tenant, "start")
    channel = make_channel(tenant)
    # when
    response = operator_client_web.post(
        f"/webhooks/channels/telegram/{channel.webhook_token}/",
        telegram_update(555001, "Сколько стоит?"),
        content_type="application/json",
        **{f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": channel.webhook_token},
    )
    # then
    assert response.status_code == 200
    html = operator_client_web.get(inbox_url(tenant)).content.decode()
    assert "Сколько стоит?" in html
    badge = operator_client_web.get(inbox_url(tenant, "badge")).content.decode()
    assert ">1<" in badge
