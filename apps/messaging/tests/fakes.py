"""Fake providers at the HTTP level (respx), speaking each provider's documented formats, and
small builders for channels and leads. Shared by the messaging tests (and the bench)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json

import httpx

from apps.channels.models import Channel, ChannelStatus
from apps.channels.providers.sms import TWILIO_API
from apps.channels.providers.telegram import API as TG_API
from apps.channels.providers.whatsapp import API as WA_API
from apps.channels.tests.fake_sendgrid import API_KEY as SENDGRID_KEY
from apps.leads.identity import identity_key, person_key
from apps.leads.models import Lead
from apps.tenants.scoping import tenant_scope

TG_TOKEN = "123456:AAFakeBotTokenSecretValue9876"
WA_SECRET = "wa-app-secret-0123"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_AUTH = "twilio-auth-token-xyz"
_ids = itertools.count(1000)


def make_channel(tenant, provider: str = "telegram", **extra) -> Channel:
    credentials, settings, kind = {
        "telegram": ({"bot_token": TG_TOKEN}, {}, "telegram"),
        "whatsapp_cloud": (
            {"access_token": "wa-token", "app_secret": WA_SECRET},
            {"phone_number_id": "1111"},
            "whatsapp",
        ),
        "sendgrid": (
            {"api_key": SENDGRID_KEY},
            {"from_email": "sales@acme.example", **extra.pop("settings", {})},
            "email",
        ),
        "twilio": (
            {"account_sid": TWILIO_SID, "auth_token": TWILIO_AUTH},
            {"from_number": "+15005550006"},
            "sms",
        ),
    }[provider]
    with tenant_scope(tenant):
        channel = Channel(
            tenant=tenant,
            kind=kind,
            provider=provider,
            name=extra.pop("name", provider),
            settings=settings,
            status=ChannelStatus.CONNECTED,
            **extra,
        )
        channel.credentials = credentials
        channel.save()
    return channel


def make_lead(tenant, *, email: str = "", phone: str = "", **fields) -> Lead:
    ref = str(next(_ids))
    person = person_key(email=email, phone=phone, lead_ref=ref)
    with tenant_scope(tenant):
        return Lead.objects.create(
            tenant=tenant,
            person_key=person,
            identity_key=identity_key(person=person, customer_id=None, product_id=None),
            email=email,
            phone=phone,
            source=fields.pop("source", "api"),
            **fields,
        )


# --- Telegram Bot API ---------------------------------------------------------------------
def telegram_send_route(router, *, status: int = 200, body: dict | None = None, **kwargs):
    """sendMessage answering `{"ok": true, "result": {"message_id": …}}` (or the given error)."""
    answer = body or {"ok": True, "result": {"message_id": next(_ids), "chat": {"id": 5}}}
    if status >= 400 and body is None:
        answer = {"ok": False, "error_code": status, "description": f"Error {status}"}
    return router.post(f"{TG_API}/bot{TG_TOKEN}/sendMessage").mock(
        return_value=httpx.Response(status, json=answer, **kwargs)
    )


def telegram_update(*, chat_id: int = 5, message_id: int = 77, text: str = "Hello") -> dict:
    return {
        "update_id": message_id,
        "message": {
            "message_id": message_id,
            "from": {"id": chat_id, "first_name": "Ivan", "last_name": "Petrov"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1764900000,
            "text": text,
        },
    }


# --- WhatsApp Cloud API -------------------------------------------------------------------
def whatsapp_send_route(router, *, status: int = 200):
    answer = (
        {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{next(_ids)}"}]}
        if status < 400
        else {"error": {"message": f"Error {status}", "code": status}}
    )
    return router.post(f"{WA_API}/1111/messages").mock(
        return_value=httpx.Response(status, json=answer)
    )


def whatsapp_signature(body: bytes, secret: str = WA_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def whatsapp_inbound(*, wa_id: str = "79161234567", text: str = "Hi", mid: str = "wamid.IN1"):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "1111"},
                            "contacts": [{"wa_id": wa_id, "profile": {"name": "Anna"}}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": mid,
                                    "timestamp": "1764900000",
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status(*, mid: str, status: str = "delivered", error: str = "") -> dict:
    entry = {"id": mid, "status": status, "timestamp": "1764900100", "recipient_id": "7916"}
    if error:
        entry["errors"] = [{"code": 131026, "title": error}]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "WABA", "changes": [{"field": "messages", "value": {"statuses": [entry]}}]}
        ],
    }


# --- Twilio -------------------------------------------------------------------------------
def twilio_send_route(router, *, status: int = 201):
    answer = (
        {"sid": f"SM{next(_ids):032d}", "status": "queued"}
        if status < 400
        else {"code": 20003, "message": "Authenticate", "status": status}
    )
    return router.post(f"{TWILIO_API}/Accounts/{TWILIO_SID}/Messages.json").mock(
        return_value=httpx.Response(status, json=answer)
    )


def twilio_signature(url: str, params: dict, token: str = TWILIO_AUTH) -> str:
    """Twilio's documented scheme: the full URL, then each POST parameter name and value
    sorted by name, HMAC-SHA1 with the auth token, base64."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def json_body(payload: dict) -> bytes:
    return json.dumps(payload).encode()
