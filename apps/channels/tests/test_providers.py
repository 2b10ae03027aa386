"""Adapters against the providers' documented answers (respx stands in for the servers)."""

import hashlib
import hmac
import json

import httpx
import pytest
import respx
from django.test import RequestFactory

from apps.channels.providers.base import OutboundMessage, ProviderError, WebhookRejected
from apps.channels.providers.sms import SMSC_API, TWILIO_API, SmscAdapter, TwilioAdapter
from apps.channels.providers.telegram import API as TG_API
from apps.channels.providers.telegram import SECRET_HEADER, TelegramAdapter
from apps.channels.providers.whatsapp import API as WA_API
from apps.channels.providers.whatsapp import WhatsAppCloudAdapter

TOKEN = "123:bot-token-abcdef"
HOOK = "hook-token-0123456789"
rf = RequestFactory()


def _telegram():
    return TelegramAdapter(credentials={"bot_token": TOKEN}, settings={}, webhook_token=HOOK)


def _update_request(headers=None):
    update = {
        "update_id": 1,
        "message": {
            "message_id": 77,
            "from": {"id": 5, "first_name": "Ivan", "last_name": "Petrov"},
            "chat": {"id": 5, "type": "private"},
            "text": "Hello",
        },
    }
    return rf.post(
        "/webhooks/", json.dumps(update), content_type="application/json", headers=headers or {}
    )


def test_telegram_webhook_with_the_secret_is_accepted_and_parsed():
    adapter = _telegram()
    request = _update_request({SECRET_HEADER: HOOK})

    adapter.verify_webhook(request)
    [message] = adapter.parse_inbound(request)

    assert (message.sender, message.text, message.sender_name) == ("5", "Hello", "Ivan Petrov")
    assert message.provider_message_id == "5:77"


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: HOOK + "x"}])
def test_telegram_webhook_without_the_right_secret_is_rejected(headers):
    with pytest.raises(WebhookRejected):
        _telegram().verify_webhook(_update_request(headers))


@respx.mock
def test_telegram_set_webhook_sends_the_secret_token_and_send_returns_the_id():
    hook = respx.post(f"{TG_API}/bot{TOKEN}/setWebhook").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": True})
    )
    send = respx.post(f"{TG_API}/bot{TOKEN}/sendMessage").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": {"message_id": 42}})
    )
    adapter = _telegram()

    adapter.set_webhook("https://fastlead.example/webhooks/channels/telegram/x/")
    result = adapter.send(OutboundMessage(to="5", text="Hi"))

    assert json.loads(hook.calls.last.request.content)["secret_token"] == HOOK
    assert json.loads(send.calls.last.request.content) == {"chat_id": "5", "text": "Hi"}
    assert result.provider_message_id == "42"


def test_an_adapter_never_shows_its_credentials():
    assert TOKEN not in repr(_telegram())


# --- WhatsApp Cloud API -------------------------------------------------------------------------


def _whatsapp():
    return WhatsAppCloudAdapter(
        credentials={"access_token": "EAAG-token", "app_secret": "app-secret"},
        settings={"phone_number_id": "1055"},
    )


def _signed(body: bytes, secret: bytes = b"app-secret"):
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return rf.post(
        "/webhooks/",
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature},
    )


WA_BODY = json.dumps(
    {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "contacts": [{"wa_id": "79161234567", "profile": {"name": "Ivan"}}],
                            "messages": [
                                {"id": "wamid.1", "from": "79161234567", "text": {"body": "Hi"}}
                            ],
                            "statuses": [{"id": "wamid.0", "status": "delivered"}],
                        }
                    }
                ]
            }
        ]
    }
).encode()


def test_whatsapp_signature_good_and_bad():
    adapter = _whatsapp()
    adapter.verify_webhook(_signed(WA_BODY))
    with pytest.raises(WebhookRejected):
        adapter.verify_webhook(_signed(WA_BODY, b"another-secret"))
    [message] = adapter.parse_inbound(_signed(WA_BODY))
    [status] = adapter.parse_status(_signed(WA_BODY))
    assert (message.sender, message.text, message.sender_name) == ("79161234567", "Hi", "Ivan")
    assert (status.provider_message_id, status.status) == ("wamid.0", "delivered")


@respx.mock
def test_whatsapp_verify_reads_the_phone_number_with_the_bearer_token():
    route = respx.get(f"{WA_API}/1055").mock(
        return_value=httpx.Response(200, json={"display_phone_number": "+7 916 123-45-67"})
    )
    assert _whatsapp().verify_credentials() == "+7 916 123-45-67"
    assert route.calls.last.request.headers["Authorization"] == "Bearer EAAG-token"


@respx.mock
def test_whatsapp_invalid_token_gives_metas_message():
    respx.get(f"{WA_API}/1055").mock(
        return_value=httpx.Response(
            401,
            json={
                "error": {
                    "message": "Invalid OAuth access token.",
                    "type": "OAuthException",
                    "code": 190,
                }
            },
        )
    )
    with pytest.raises(ProviderError) as error:
        _whatsapp().verify_credentials()
    assert error.value.message == "Invalid OAuth access token." and error.value.unauthorized


# --- SMS ------------------------------------------------------------------------------------------


@respx.mock
def test_twilio_verify_ok_and_401():
    url = f"{TWILIO_API}/Accounts/AC123.json"
    adapter = TwilioAdapter(credentials={"account_sid": "AC123", "auth_token": "tok"}, settings={})
    route = respx.get(url).mock(return_value=httpx.Response(200, json={"friendly_name": "Acme"}))

    assert adapter.verify_credentials() == "Acme"
    assert route.calls.last.request.headers["Authorization"].startswith("Basic ")

    route.mock(
        return_value=httpx.Response(
            401, json={"code": 20003, "message": "Authenticate", "status": 401}
        )
    )
    with pytest.raises(ProviderError) as error:
        adapter.verify_credentials()
    assert error.value.message == "Authenticate" and error.value.status == 401


@respx.mock
def test_smsc_balance_ok_and_its_error_answer(english_ui):
    adapter = SmscAdapter(credentials={"login": "acme", "password": "pw"}, settings={})
    route = respx.get(f"{SMSC_API}/balance.php").mock(
        return_value=httpx.Response(200, json={"balance": "120.50"})
    )
    assert adapter.verify_credentials() == "Balance: 120.50"
    assert route.calls.last.request.url.params["fmt"] == "3"

    route.mock(return_value=httpx.Response(200, json={"error": "authorise error", "error_code": 2}))
    with pytest.raises(ProviderError) as error:
        adapter.verify_credentials()
    assert error.value.message == "authorise error" and error.value.unauthorized


@respx.mock
def test_an_unreachable_provider_is_an_error_not_a_crash(english_ui):
    respx.get(f"{SMSC_API}/balance.php").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ProviderError) as error:
        SmscAdapter(credentials={"login": "a", "password": "b"}, settings={}).verify_credentials()
    assert error.value.message == "Could not reach the provider: ConnectError"
