"""Web chat: the visitor writes from the widget, the conversation survives page loads (the
signed visitor token), the operator answers from the lead page and the widget gets it."""

import json

import pytest
from django.core import mail

from apps.billing.tests.helpers import subscribe
from apps.leads.models import Lead
from apps.messaging import webchat
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.scoping import tenant_scope

ORIGIN = "https://example.com"  # TenantFactory's allowed origin
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def key(tenant):
    subscribe(tenant, "start")
    return publishable_key_get_or_create(tenant).key


def chat_url(key):
    return f"/api/public/v1/widget/{key}/chat/"


def post(client, key, origin=ORIGIN, **body):
    return client.post(
        chat_url(key), json.dumps(body), content_type="application/json", HTTP_ORIGIN=origin
    )


def test_first_message_creates_a_web_chat_lead_and_a_token(
    client, tenant, key, operator_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, key, text="Есть доставка?", name="Ира", client_id="m1")
    assert response.status_code == 201
    body = response.json()
    assert body["token"] and [m["text"] for m in body["messages"]] == ["Есть доставка?"]
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        conversation = Conversation.objects.get(lead=lead)
    assert (lead.source, lead.name) == ("web_chat", "Ира")
    assert conversation.unread_count == 1 and conversation.last_message_preview == "Есть доставка?"
    # one notice: the new lead (the message that created it is not announced twice)
    assert [m.to[0] for m in mail.outbox] == [operator_user.email]
    assert "Ира" in mail.outbox[0].body


def test_the_token_keeps_the_conversation_and_a_retry_is_stored_once(client, tenant, key):
    token = post(client, key, text="Привет", client_id="m1").json()["token"]
    post(client, key, text="Ещё вопрос", token=token, client_id="m2")
    post(client, key, text="Ещё вопрос", token=token, client_id="m2")  # a retry
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1
        assert Message.objects.filter(direction=Direction.IN).count() == 2
    again = client.get(chat_url(key), {"token": token}, HTTP_ORIGIN=ORIGIN).json()
    assert [m["text"] for m in again["messages"]] == ["Привет", "Ещё вопрос"]


def test_operator_reply_reaches_the_widget_and_becomes_delivered(
    client, tenant, key, operator_user
):
    token = post(client, key, text="Привет", client_id="m1").json()["token"]
    with tenant_scope(tenant):
        lead = Lead.objects.get()
    client.force_login(operator_user)
    page = client.get(f"/t/{tenant.slug}/leads/{lead.pk}/").content.decode()
    assert 'value="webchat" selected' in page
    reply = {"channel": "webchat", "body": "Здравствуйте! Да.", "idempotency_key": "r1"}
    url = f"/t/{tenant.slug}/leads/{lead.pk}/conversation/reply/"
    assert client.post(url, reply, **HX).status_code == 200
    first = client.get(chat_url(key), {"token": token}, HTTP_ORIGIN=ORIGIN).json()["messages"]
    assert [(m["from"], m["text"]) for m in first] == [
        ("visitor", "Привет"),
        ("operator", "Здравствуйте! Да."),
    ]
    with tenant_scope(tenant):
        answer = Message.objects.get(direction=Direction.OUT)
        assert answer.status == MessageStatus.DELIVERED
        assert Lead.objects.get().first_contact_at is not None
    later = client.get(
        chat_url(key), {"token": token, "after": first[-1]["id"]}, HTTP_ORIGIN=ORIGIN
    )
    assert later.json()["messages"] == []


def test_a_forged_or_foreign_token_sees_nothing(client, tenant, other_tenant, key):
    post(client, key, text="Личное", client_id="m1")
    forged = webchat.visitor_token(other_tenant.pk, "someone")
    response = client.get(chat_url(key), {"token": forged}, HTTP_ORIGIN=ORIGIN)
    assert response.json()["messages"] == []
    assert client.get(chat_url(key), {"token": "garbage"}, HTTP_ORIGIN=ORIGIN).json() == {
        "token": "garbage",
        "messages": [],
    }


def test_a_foreign_site_and_bad_input_are_refused(client, tenant, key):
    assert post(client, key, origin="https://evil.test", text="hi").status_code == 403
    assert post(client, key, text="").status_code == 400
    too_long = post(client, key, text="x" * (webchat.MAX_LENGTH + 1))
    assert too_long.status_code == 400 and "text" in too_long.json()["error"]["fields"]
    assert post(client, "pk_unknown", text="hi").status_code == 404
    with tenant_scope(tenant):
        assert not Message.objects.exists()
