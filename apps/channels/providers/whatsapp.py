"""WhatsApp Cloud API over plain httpx: the phone number, messages, X-Hub-Signature-256."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.utils.translation import gettext_lazy

from apps.channels.providers.base import (
    Adapter,
    Field,
    InboundMessage,
    OutboundMessage,
    SendResult,
    StatusUpdate,
    WebhookRejected,
)

API = "https://graph.facebook.com/v21.0"


class WhatsAppCloudAdapter(Adapter):
    provider = "whatsapp_cloud"
    kind = "whatsapp"
    credential_fields = (
        Field(
            "access_token",
            gettext_lazy("Access token"),
            gettext_lazy("A permanent token of a system user with whatsapp_business_messaging."),
        ),
        Field(
            "app_secret",
            gettext_lazy("App secret"),
            gettext_lazy("Meta app settings → Basic: verifies the webhook signature."),
        ),
    )
    setting_fields = (
        Field(
            "phone_number_id",
            gettext_lazy("Phone number ID"),
            gettext_lazy("WhatsApp → API Setup in the Meta app dashboard."),
            secret=False,
        ),
    )
    help_text = gettext_lazy(
        "Connect a WhatsApp Business number of the Cloud API (Meta for Developers)."
    )
    webhook_help = gettext_lazy(
        "Meta app → WhatsApp → Configuration: paste this Callback URL; the verify token is "
        "the URL's last part (after /whatsapp/). Subscribe to the messages field."
    )

    def _client(self):
        return self.client(
            API, headers={"Authorization": f"Bearer {self.credentials['access_token']}"}
        )

    def verify_credentials(self) -> str:
        with self._client() as client:
            number = self.request(client, "GET", f"/{self.settings['phone_number_id']}").json()
        return str(number.get("display_phone_number") or number.get("verified_name") or "")

    def send(self, message: OutboundMessage) -> SendResult:
        payload = {
            "messaging_product": "whatsapp",
            "to": message.to,
            "type": "text",
            "text": {"body": message.text},
        }
        with self._client() as client:
            body = self.request(
                client, "POST", f"/{self.settings['phone_number_id']}/messages", json=payload
            ).json()
        return SendResult(provider_message_id=str((body.get("messages") or [{}])[0].get("id", "")))

    def verify_webhook(self, request) -> None:
        given = request.headers.get("X-Hub-Signature-256", "")
        secret = self.credentials.get("app_secret", "").encode()
        expected = "sha256=" + hmac.new(secret, request.body, hashlib.sha256).hexdigest()
        if not secret or not hmac.compare_digest(given, expected):
            raise WebhookRejected("X-Hub-Signature-256 does not match")

    def _values(self, request):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return
        for entry in body.get("entry") or []:
            for change in entry.get("changes") or []:
                yield change.get("value") or {}

    def parse_inbound(self, request) -> list[InboundMessage]:
        found = []
        for value in self._values(request):
            names = {
                c.get("wa_id"): (c.get("profile") or {}).get("name", "")
                for c in value.get("contacts") or []
            }
            for message in value.get("messages") or []:
                found.append(
                    InboundMessage(
                        provider_message_id=str(message.get("id", "")),
                        sender=str(message.get("from", "")),
                        text=str((message.get("text") or {}).get("body", "")),
                        sender_name=names.get(message.get("from"), ""),
                        raw=message,
                    )
                )
        return found

    def parse_status(self, request) -> list[StatusUpdate]:
        found = []
        for value in self._values(request):
            for status in value.get("statuses") or []:
                errors = status.get("errors") or [{}]
                found.append(
                    StatusUpdate(
                        provider_message_id=str(status.get("id", "")),
                        status=str(status.get("status", "")),
                        error=str(errors[0].get("title", "")),
                    )
                )
        return found
