"""SMS: Twilio (REST API with basic auth) and SMSC.ru (HTTP API), both over plain httpx."""

from __future__ import annotations

import base64

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.channels.providers.base import Adapter, Field, OutboundMessage, ProviderError, SendResult

TWILIO_API = "https://api.twilio.com/2010-04-01"
SMSC_API = "https://smsc.ru/sys"


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
        with self._client() as client:
            body = self.request(
                client,
                "POST",
                f"/Accounts/{self.credentials['account_sid']}/Messages.json",
                data=data,
            ).json()
        return SendResult(provider_message_id=str(body.get("sid", "")), status="queued")


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
    max_length = 1_000

    def _get(self, path: str, **params) -> dict:
        auth = {"login": self.credentials["login"], "psw": self.credentials["password"], "fmt": 3}
        with self.client(SMSC_API) as client:
            body = self.request(client, "GET", path, params={**auth, **params}).json()
        if "error" in body:  # SMSC answers 200 with an error object
            raise ProviderError(str(body["error"]), status=_smsc_status(body.get("error_code")))
        return body

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
