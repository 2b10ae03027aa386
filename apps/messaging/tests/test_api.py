"""The conversations API: roles, tenancy, the inbox list, replies with clear 400s, resend."""

import pytest
import respx
from django.urls import reverse

from apps.billing.tests.helpers import subscribe
from apps.messaging.addresses import remember_address
from apps.messaging.inbound import inbound_store
from apps.messaging.models import Conversation, Message, MessageStatus
from apps.messaging.suppression import suppress
from apps.messaging.tests.fakes import make_channel, make_lead, telegram_send_route
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"tenant_id": str(tenant.pk), **kwargs})


@pytest.fixture
def chat(tenant):
    """A tenant on Start (the channels tool), a Telegram channel and a lead who wrote in."""
    subscribe(tenant, "start")
    channel = make_channel(tenant, "telegram")
    with tenant_scope(tenant):
        inbound = inbound_store(
            tenant, channel, {"provider_message_id": "5:1", "sender": "5", "text": "Привет"}
        )
    return inbound


def test_inbox_lists_conversations_with_unread_counts(operator_api, tenant, chat):
    other = make_lead(tenant, email="b@example.com")
    with tenant_scope(tenant):
        Conversation.objects.create(tenant=tenant, lead=other)  # nothing unread

    listed = operator_api.get(url("api-conversations", tenant))
    unread = operator_api.get(url("api-conversations", tenant), {"unread": "true"})

    assert listed.status_code == 200 and listed.data["count"] == 2
    first = listed.data["results"][0]
    assert first["lead_id"] == chat.lead_id and first["unread_count"] == 1
    assert first["channel_kind"] == "telegram" and first["last_message_preview"] == "Привет"
    assert [c["lead_id"] for c in unread.data["results"]] == [chat.lead_id]
    bad = operator_api.get(url("api-conversations", tenant), {"assignee": "x"})
    assert bad.status_code == 400


def test_analysts_and_other_tenants_get_nothing(analyst_api, outsider_api, tenant, chat):
    assert analyst_api.get(url("api-conversations", tenant)).status_code == 403
    assert outsider_api.get(url("api-conversations", tenant)).status_code == 404
    assert (
        outsider_api.get(url("api-lead-messages", tenant, lead_id=chat.lead_id)).status_code == 404
    )


@respx.mock
def test_operator_reply_goes_out_and_shows_in_the_thread(
    operator_api, tenant, chat, django_capture_on_commit_callbacks
):
    route = telegram_send_route(respx)
    with django_capture_on_commit_callbacks(execute=True):
        reply = operator_api.post(
            url("api-lead-messages", tenant, lead_id=chat.lead_id),
            {"body": "Здравствуйте!", "idempotency_key": "click-1"},
            format="json",
        )
    again = operator_api.post(
        url("api-lead-messages", tenant, lead_id=chat.lead_id),
        {"body": "Здравствуйте!", "idempotency_key": "click-1"},
        format="json",
    )
    thread = operator_api.get(url("api-lead-messages", tenant, lead_id=chat.lead_id))

    assert reply.status_code == 201, reply.data
    assert reply.data["direction"] == "out"
    assert again.data.get("id") == reply.data["id"], again.data
    assert route.call_count == 1
    assert [m["direction"] for m in thread.data["results"]] == ["in", "out"]
    # Telegram: the Bot API's ok answer is the delivery (no receipts follow)
    assert thread.data["results"][1]["status"] == MessageStatus.DELIVERED


def test_reply_refusals_are_400_with_a_clear_code(operator_api, tenant, chat):
    lead_without_chat = make_lead(tenant, email="c@example.com")
    no_address = operator_api.post(
        url("api-lead-messages", tenant, lead_id=lead_without_chat.pk),
        {"body": "Hi"},
        format="json",
    )
    too_long = operator_api.post(
        url("api-lead-messages", tenant, lead_id=chat.lead_id), {"body": "x" * 5000}, format="json"
    )
    with tenant_scope(tenant):
        suppress(tenant, "telegram", "5")
    suppressed = operator_api.post(
        url("api-lead-messages", tenant, lead_id=chat.lead_id), {"body": "Hi"}, format="json"
    )

    assert no_address.status_code == 400, no_address.data
    assert no_address.data["error"]["code"] == "no_address"
    assert too_long.status_code == 400 and too_long.data["error"]["code"] == "too_long"
    assert suppressed.status_code == 400 and suppressed.data["error"]["code"] == "suppressed"
    with tenant_scope(tenant):
        assert Message.objects.filter(direction="out").count() == 0


@respx.mock
def test_resend_only_unknown_or_failed(
    operator_api, tenant, chat, django_capture_on_commit_callbacks
):
    route = telegram_send_route(respx)
    lead = chat.lead
    with tenant_scope(tenant):
        remember_address(tenant, lead, "telegram", "5")
    with django_capture_on_commit_callbacks(execute=True):
        sent = operator_api.post(
            url("api-lead-messages", tenant, lead_id=lead.pk), {"body": "One"}, format="json"
        )
    assert sent.status_code == 201, sent.data
    refused = operator_api.post(url("api-message-resend", tenant, message_id=sent.data["id"]))
    Message.objects.unscoped().filter(pk=sent.data["id"]).update(status=MessageStatus.UNKNOWN)
    with django_capture_on_commit_callbacks(execute=True):
        resent = operator_api.post(url("api-message-resend", tenant, message_id=sent.data["id"]))

    assert refused.status_code == 400 and refused.data["error"]["code"] == "not_resendable"
    assert resent.status_code == 200 and route.call_count == 2


def test_read_close_and_assign(operator_api, operator_user, tenant, chat):
    conversation_id = chat.conversation_id
    read = operator_api.post(url("api-conversation-read", tenant, conversation_id=conversation_id))
    assigned = operator_api.post(
        url("api-conversation-assign", tenant, conversation_id=conversation_id),
        {"user_id": operator_user.pk},
        format="json",
    )
    mine = operator_api.get(url("api-conversations", tenant), {"assignee": "me"})
    closed = operator_api.post(
        url("api-conversation-close", tenant, conversation_id=conversation_id)
    )
    open_list = operator_api.get(url("api-conversations", tenant))

    assert read.data["unread_count"] == 0
    assert assigned.data["assignee_id"] == operator_user.pk
    assert [c["id"] for c in mine.data["results"]] == [conversation_id]
    assert closed.data["status"] == "closed" and open_list.data["count"] == 0


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": ""}, "status"),  # empty is not "absent"
        ({"channel": str(2**63)}, "channel"),  # beyond a row id: 400, not a 500
        ({"channel": "0"}, "channel"),
        ({"assignee": "1" * 19}, "assignee"),
        ({"unread": ""}, "unread"),
    ],
)
def test_inbox_filters_refuse_bad_values_naming_them(operator_api, tenant, chat, params, field):
    response = operator_api.get(url("api-conversations", tenant), params)

    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_assign_refuses_a_wrong_type_and_ids_beyond_a_row(operator_api, tenant, chat):
    assign = url("api-conversation-assign", tenant, conversation_id=chat.conversation_id)

    as_text = operator_api.post(assign, {"user_id": "1"}, format="json")
    too_big = operator_api.post(assign, {"user_id": 2**63}, format="json")
    unknown = operator_api.post(assign, {"user_id": None, "extra": 1}, format="json")

    for response, field in ((as_text, "user_id"), (too_big, "user_id"), (unknown, "extra")):
        assert response.status_code == 400 and field in response.json()["error"]["fields"]
