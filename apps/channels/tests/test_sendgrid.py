"""The SendGrid adapter at the HTTP level against a local fake of SendGrid's v3 API (anymail's
backend talks to it over a real socket), and its callbacks in SendGrid's documented formats."""

import json
import socket

import pytest
from django.test import RequestFactory

from apps.channels.models import Channel, ChannelStatus
from apps.channels.providers import sendgrid
from apps.channels.providers.base import OutboundMessage, ProviderError, WebhookRejected
from apps.channels.providers.sendgrid import SendGridAdapter
from apps.channels.services import channel_create, channel_test
from apps.channels.tests.fake_sendgrid import (
    API_KEY,
    UNAUTHORIZED,
    EventSigner,
    FakeSendGrid,
    event,
    inbound_parse,
)

rf = RequestFactory()


@pytest.fixture
def fake(monkeypatch):
    with FakeSendGrid() as server:
        monkeypatch.setattr(sendgrid, "API", server.url)
        yield server


def _adapter(api_key=API_KEY, **settings):
    return SendGridAdapter(
        credentials={"api_key": api_key},
        settings={"from_email": "sales@acme.example", **settings},
    )


def test_verify_reads_the_scopes_with_the_bearer_key(fake):
    assert _adapter().verify_credentials() == "sales@acme.example"
    method, path, headers, _ = fake.calls[-1]
    assert (method, path, headers["Authorization"]) == ("GET", "/v3/scopes", f"Bearer {API_KEY}")


def test_a_wrong_key_gives_sendgrids_own_message(fake):
    with pytest.raises(ProviderError) as error:
        _adapter("SG.wrong").verify_credentials()
    assert error.value.message == UNAUTHORIZED and error.value.unauthorized


def test_a_key_without_mail_send_is_refused(fake, english_ui):
    fake.scopes = ["user.profile.read"]
    with pytest.raises(ProviderError) as error:
        _adapter().verify_credentials()
    assert "Mail Send" in error.value.message and error.value.unauthorized


def test_an_unusable_verification_key_is_said_at_test_time(fake, english_ui):
    with pytest.raises(ProviderError) as error:
        _adapter(event_webhook_key="not a key").verify_credentials()
    assert "verification key" in error.value.message
    assert fake.calls == []


@pytest.mark.django_db
def test_connecting_with_a_wrong_key_stores_the_error_not_connected(fake, tenant, on_start):
    channel = channel_create(
        tenant=tenant,
        provider="sendgrid",
        name="Почта",
        credentials={"api_key": "SG.wrong"},
        settings={"from_email": "sales@acme.example"},
    )
    channel = channel_test(channel)
    assert (channel.status, channel.last_error) == (ChannelStatus.ERROR, UNAUTHORIZED)
    assert channel.kind == "email" and "SG.wrong" not in channel.credentials_encrypted

    channel.credentials = {"api_key": API_KEY}
    channel.save()
    assert channel_test(channel).status == ChannelStatus.CONNECTED


def test_send_posts_mail_send_and_returns_the_anymail_id(fake):
    result = _adapter(from_name="Acme").send(
        OutboundMessage(to="lead@example.com", text="Добрый день!", subject="Ваш заказ")
    )
    [payload] = fake.sent
    _, path, headers, _ = fake.calls[-1]
    assert path == "/v3/mail/send" and headers["Authorization"] == f"Bearer {API_KEY}"
    assert payload["from"] == {"email": "sales@acme.example", "name": "Acme"}
    assert payload["subject"] == "Ваш заказ"
    assert payload["content"] == [{"type": "text/plain", "value": "Добрый день!"}]
    [personalization] = payload["personalizations"]
    assert personalization["to"] == [{"email": "lead@example.com"}]
    assert result.provider_message_id == personalization["custom_args"]["anymail_id"]


@pytest.mark.parametrize(
    ("status", "permanent", "unauthorized"),
    [(401, True, True), (403, True, True), (400, True, False), (500, False, False)],
)
def test_send_errors_carry_sendgrids_message(fake, status, permanent, unauthorized):
    fake.queue(status, {"errors": [{"field": "from", "message": f"refused {status}"}]})
    with pytest.raises(ProviderError) as error:
        _adapter().send(OutboundMessage(to="lead@example.com", text="Hi"))
    assert error.value.message == f"refused {status}"
    assert (error.value.permanent, error.value.unauthorized) == (permanent, unauthorized)
    assert not error.value.maybe_sent


def test_rate_limit_is_transient_with_its_wait(fake):
    fake.queue(429, {"errors": [{"message": "too many requests"}]}, {"Retry-After": "7"})
    with pytest.raises(ProviderError) as error:
        _adapter().send(OutboundMessage(to="lead@example.com", text="Hi"))
    assert (error.value.status, error.value.retry_after) == (429, 7.0)
    assert not error.value.permanent and not error.value.maybe_sent


def test_a_lost_answer_may_have_sent_it(fake):
    fake.queue_drop()
    with pytest.raises(ProviderError) as error:
        _adapter().send(OutboundMessage(to="lead@example.com", text="Hi"))
    assert error.value.maybe_sent and not error.value.permanent
    assert [c[1] for c in fake.calls] == ["/v3/mail/send"]


def test_a_refused_connection_sent_nothing(monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(sendgrid, "API", f"http://127.0.0.1:{port}/v3/")
    with pytest.raises(ProviderError) as error:
        _adapter().send(OutboundMessage(to="lead@example.com", text="Hi"))
    assert not error.value.maybe_sent and not error.value.permanent


# --- callbacks -----------------------------------------------------------------------------


def _events(body: bytes, headers=None):
    return rf.post("/hook/", body, content_type="application/json", headers=headers or {})


def test_events_map_to_statuses_with_reasons_and_suppressions():
    body = json.dumps(
        [
            event("processed", "a1"),
            event("delivered", "a1", response="250 OK"),
            event("open", "a1", useragent="Mozilla"),
            event("deferred", "a2", response="400 try again later"),
            event("bounce", "a3", reason="550 5.1.1 no such user", type="bounce"),
            event("bounce", "a4", reason="421 try later", type="blocked"),
            event("dropped", "a5", reason="Bounced Address"),
            event("spamreport", "a6"),
        ]
    ).encode()
    updates = _adapter().parse_status(_events(body))
    seen = [(u.provider_message_id, u.status, u.error, u.suppress) for u in updates]
    assert seen == [
        ("a1", "sent", "", ""),
        ("a1", "delivered", "", ""),
        ("a1", "read", "", ""),
        ("a3", "failed", "550 5.1.1 no such user", "bounce"),
        ("a4", "failed", "421 try later", ""),
        ("a5", "failed", "Bounced Address", ""),
        ("a6", "", "", "complaint"),
    ]
    assert _adapter().parse_inbound(_events(body)) == []


def test_signed_events_good_and_bad_signature():
    signer, other = EventSigner(), EventSigner()
    adapter = _adapter(event_webhook_key=signer.public_key)
    body = json.dumps([event("delivered", "a1")]).encode()

    adapter.verify_webhook(_events(body, signer.headers(body)))
    for headers in (
        {},
        other.headers(body),
        signer.headers(body + b" "),
        {**signer.headers(body), "X-Twilio-Email-Event-Webhook-Timestamp": "1"},
        {**signer.headers(body), "X-Twilio-Email-Event-Webhook-Signature": "%%%"},
    ):
        with pytest.raises(WebhookRejected):
            adapter.verify_webhook(_events(body, headers))


def test_without_a_key_the_url_token_is_the_secret():
    body = json.dumps([event("delivered", "a1")]).encode()
    _adapter().verify_webhook(_events(body))


def test_inbound_parse_default_fields():
    request = rf.post("/hook/", inbound_parse())
    adapter = _adapter()
    adapter.verify_webhook(request)
    [message] = adapter.parse_inbound(request)
    assert (message.sender, message.sender_name) == ("anna@example.com", "Anna Smirnova")
    assert message.subject == "Вопрос о доставке"
    assert message.text == "Здравствуйте! Сколько стоит доставка?"
    assert message.provider_message_id == "<CAF=abc123@mail.example.com>"
    assert adapter.parse_status(request) == []


def test_inbound_parse_raw_mime():
    raw = (
        "From: Boris <boris@example.com>\r\nTo: sales@acme.example\r\nSubject: Hi\r\n"
        "Message-ID: <raw-1@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Call me <b>back</b></p>\r\n"
    )
    [message] = _adapter().parse_inbound(rf.post("/hook/", {"email": raw, "to": "x"}))
    assert (message.sender, message.text) == ("boris@example.com", "Call me back")
    assert message.provider_message_id == "<raw-1@example.com>"


# --- the "Каналы" page and the API -----------------------------------------------------------


@pytest.mark.django_db
def test_the_page_connects_sendgrid_and_shows_where_to_point_the_webhooks(
    fake, admin_client_web, on_start
):
    page = admin_client_web.get(f"/t/{on_start.slug}/channels/").content.decode()
    assert "SendGrid" in page and 'name="sendgrid-cred_api_key"' in page
    assert "Mail Send" in page  # the key's help text

    form = {
        "provider": "sendgrid",
        "sendgrid-name": "Почта SendGrid",
        "sendgrid-cred_api_key": API_KEY,
        "sendgrid-set_from_email": "sales@acme.example",
    }
    answer = admin_client_web.post(
        f"/t/{on_start.slug}/channels/new/", form, HTTP_HX_REQUEST="true"
    )
    html = answer.content.decode()
    channel = Channel.objects.unscoped().get(tenant=on_start)
    assert answer.status_code == 200 and channel.status == ChannelStatus.CONNECTED
    assert channel.webhook_url in html and "Inbound Parse" in html
    assert API_KEY not in html and API_KEY[-4:] in html  # masked


@pytest.mark.django_db
def test_the_api_connects_sendgrid_and_names_a_missing_field(fake, admin_api, on_start):
    client, url = admin_api, f"/api/v1/tenants/{on_start.pk}/channels/"
    missing = client.post(url, {"provider": "sendgrid", "credentials": {}}, format="json")
    assert missing.status_code == 400
    fields = missing.json()["error"]["fields"]
    assert set(fields) == {"credentials.api_key", "settings.from_email"}

    body = {
        "provider": "sendgrid",
        "credentials": {"api_key": "SG.wrong"},
        "settings": {"from_email": "sales@acme.example"},
    }
    created = client.post(url, body, format="json")
    assert created.status_code == 201 and "SG.wrong" not in created.content.decode()
    tested = client.post(f"{url}{created.json()['id']}/test/")
    assert (tested.json()["status"], tested.json()["last_error"]) == ("error", UNAUTHORIZED)
