"""SMS: Twilio (REST API with basic auth) and SMSC.ru (HTTP API), both over plain httpx."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings as django_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.channels.providers.base import (
    Adapter,
    Field,
    InboundMessage,
    OutboundMessage,
    ProviderError,
    SendResult,
    StatusUpdate,
    WebhookRejected,
)

TWILIO_API = "https://api.twilio.com/2010-04-01"
SMSC_API = "https://smsc.ru/sys"
TWILIO_STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}
# SMSC.ru's numeric statuses (HTTP API, "Статусы сообщений").
SMSC_STATUSES = {
    "1": "delivered",
    "2": "read",
    "3": "failed",
    "20": "failed",
    "22": "failed",
    "23": "failed",
    "24": "failed",
    "25": "failed",
}


class TwilioAdapter(Adapter):
    provider = "twilio"
    kind = "sms"
    credential_fields = (
        Field(
            "account_sid",
            gettext_lazy("Account SID"),
            gettext_lazy("Starts with AC."),
            secret=False,
        ),
        Field("auth_token", gettext_lazy("Auth token"), gettext_lazy("Twilio Console → Account.")),
    )
    setting_fields = (
        Field(
            "from_number",
            gettext_lazy("Sender number"),
            gettext_lazy("A Twilio number in E.164, e.g. +15005550006."),
            secret=False,
        ),
    )
    help_text = gettext_lazy("SMS through your Twilio account.")
    webhook_help = gettext_lazy(
        "Twilio Console → Phone Numbers → your number → Messaging: set “A message comes in” "
        "to this URL (HTTP POST). Delivery statuses need no setup."
    )
    webhook_answer = ('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', "text/xml")
    max_length = 1_600

    def _client(self):
        pair = f"{self.credentials['account_sid']}:{self.credentials['auth_token']}"
        basic = base64.b64encode(pair.encode()).decode()
        return self.client(TWILIO_API, headers={"Authorization": f"Basic {basic}"})

    def verify_credentials(self) -> str:
        with self._client() as client:
            account = self.request(
                client, "GET", f"/Accounts/{self.credentials['account_sid']}.json"
            ).json()
        return str(account.get("friendly_name", ""))

    def send(self, message: OutboundMessage) -> SendResult:
        data = {"To": message.to, "From": self.settings["from_number"], "Body": message.text}
        if message.callback_url:  # Twilio posts each status change there
            data["StatusCallback"] = message.callback_url
        with self._client() as client:
            body = self.request(
                client,
                "POST",
                f"/Accounts/{self.credentials['account_sid']}/Messages.json",
                data=data,
            ).json()
        return SendResult(provider_message_id=str(body.get("sid", "")), status="queued")

    def verify_webhook(self, request) -> None:
        """X-Twilio-Signature: base64 HMAC-SHA1 (auth token) of the URL Twilio called plus
        every POST parameter's name and value, sorted by name (Twilio's security docs)."""
        given = request.headers.get("X-Twilio-Signature", "")
        token = self.credentials.get("auth_token", "")
        params = sorted((k, v) for k in request.POST for v in request.POST.getlist(k))
        tail = "".join(f"{k}{v}" for k, v in params)
        urls = {request.build_absolute_uri(), django_settings.SITE_URL + request.get_full_path()}
        for url in urls:
            digest = hmac.new(token.encode(), (url + tail).encode(), hashlib.sha1).digest()
            if token and given and hmac.compare_digest(given, base64.b64encode(digest).decode()):
                return
        raise WebhookRejected("X-Twilio-Signature does not match")

    def parse_inbound(self, request) -> list[InboundMessage]:
        form = request.POST
        if form.get("MessageStatus") or not form.get("From"):
            return []
        return [
            InboundMessage(
                provider_message_id=form.get("MessageSid") or form.get("SmsMessageSid", ""),
                sender=form.get("From", ""),
                text=form.get("Body", ""),
            )
        ]

    def parse_status(self, request) -> list[StatusUpdate]:
        status = TWILIO_STATUSES.get(request.POST.get("MessageStatus", ""))
        if not status:
            return []
        error = request.POST.get("ErrorMessage") or request.POST.get("ErrorCode", "")
        return [StatusUpdate(request.POST.get("MessageSid", ""), status, error)]


class SmscAdapter(Adapter):
    provider = "smsc"
    kind = "sms"
    credential_fields = (
        Field("login", gettext_lazy("Login"), secret=False),
        Field(
            "password",
            gettext_lazy("Password or API key"),
            gettext_lazy("SMSC.ru → Settings → API key is safer than the password."),
        ),
    )
    setting_fields = (
        Field(
            "sender",
            gettext_lazy("Sender ID"),
            gettext_lazy("A sender name approved in SMSC.ru (optional)."),
            required=False,
            secret=False,
        ),
    )
    help_text = gettext_lazy("SMS through your SMSC.ru account.")
    webhook_help = gettext_lazy(
        "SMSC.ru → Settings → Callback URL: paste this URL for incoming messages and "
        "delivery statuses."
    )
    max_length = 1_000

    def _get(self, path: str, **params) -> dict:
        auth = {"login": self.credentials["login"], "psw": self.credentials["password"], "fmt": 3}
        with self.client(SMSC_API) as client:
            body = self.request(client, "GET", path, params={**auth, **params}).json()
        if "error" in body:  # SMSC answers 200 with an error object
            raise ProviderError(str(body["error"]), status=_smsc_status(body.get("error_code")))
        return body

    def verify_webhook(self, request) -> None:
        """SMSC.ru signs nothing: the callback URL's channel token is the secret (it is only
        given to SMSC in the account's callback settings)."""

    def parse_inbound(self, request) -> list[InboundMessage]:
        form = request.POST or request.GET
        if "mes" not in form or not form.get("phone"):
            return []
        return [
            InboundMessage(
                provider_message_id=form.get("id") or form.get("sms_id", ""),
                sender=form.get("phone", ""),
                text=form.get("mes", ""),
            )
        ]

    def parse_status(self, request) -> list[StatusUpdate]:
        form = request.POST or request.GET
        status = SMSC_STATUSES.get(form.get("status", ""))
        if "mes" in form or not status:
            return []
        return [StatusUpdate(form.get("id", ""), status, form.get("err", ""))]

    def verify_credentials(self) -> str:
        body = self._get("/balance.php")
        return _("Balance: %(balance)s") % {"balance": body.get("balance", "")}

    def send(self, message: OutboundMessage) -> SendResult:
        extra = {"sender": self.settings["sender"]} if self.settings.get("sender") else {}
        body = self._get("/send.php", phones=message.to, mes=message.text, **extra)
        return SendResult(provider_message_id=str(body.get("id", "")))


def _smsc_status(code) -> int | None:
    """SMSC's error codes as HTTP statuses: 2 = wrong login/password, 9 = too many requests."""
    return {2: 401, 4: 403, 9: 429}.get(code)
