"""WhatsApp Cloud API over plain httpx: the phone number, messages, X-Hub-Signature-256."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

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
TEMPLATE_FIELDS = "name,language,status,category,components,parameter_format"
MAX_TEMPLATE_PAGES = 10
PLACEHOLDER = re.compile(r"{{\s*([A-Za-z0-9_]+)\s*}}")


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
        Field(
            "waba_id",
            gettext_lazy("WhatsApp Business Account ID"),
            gettext_lazy(
                "Optional: on the same page. With it, “Test connection” fetches your approved "
                "message templates — the only messages WhatsApp lets you send 24 hours after "
                "the person's last message."
            ),
            required=False,
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

    def message_templates(self) -> list[dict] | None:
        """GET /{waba_id}/message_templates: the approved ones, with their body's parameters
        ({{1}}, {{2}}… or named {{first_name}} when parameter_format is NAMED)."""
        waba_id = self.settings.get("waba_id")
        if not waba_id:
            return None
        found, after = [], None
        with self._client() as client:
            for _page in range(MAX_TEMPLATE_PAGES):
                params = {"status": "APPROVED", "limit": 100, "fields": TEMPLATE_FIELDS}
                if after:
                    params["after"] = after
                body = self.request(
                    client, "GET", f"/{waba_id}/message_templates", params=params
                ).json()
                found += [_template(t) for t in body.get("data") or [] if _approved(t)]
                after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
                if not (body.get("paging") or {}).get("next") or not after:
                    break
        return sorted(found, key=lambda t: (t["name"], t["language"]))

    def send(self, message: OutboundMessage) -> SendResult:
        payload = {
            "messaging_product": "whatsapp",
            "to": message.to,
            "type": "text",
            "text": {"body": message.text},
        }
        if message.template:
            payload = {
                "messaging_product": "whatsapp",
                "to": message.to,
                "type": "template",
                "template": _template_payload(message.template),
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


def _approved(template) -> bool:
    return isinstance(template, dict) and template.get("status") == "APPROVED"


def _template(template: dict) -> dict:
    """What we keep of a template: its name, language, body text and body parameters."""
    body = next(
        (
            c.get("text", "")
            for c in template.get("components") or []
            if str(c.get("type", "")).upper() == "BODY"
        ),
        "",
    )
    params = list(dict.fromkeys(PLACEHOLDER.findall(body)))
    return {
        "name": str(template.get("name", "")),
        "language": str(template.get("language", "")),
        "body": str(body),
        "params": params,
        "named": str(template.get("parameter_format", "")).upper() == "NAMED",
    }


def _template_payload(template: dict) -> dict:
    """Cloud API's template object: name, language code, the body's parameters in order."""
    names = template.get("named") or []
    parameters = []
    for index, value in enumerate(template.get("params") or []):
        parameter = {"type": "text", "text": str(value)}
        if names:
            parameter["parameter_name"] = names[index]
        parameters.append(parameter)
    payload = {"name": template["name"], "language": {"code": template["language"]}}
    if parameters:
        payload["components"] = [{"type": "body", "parameters": parameters}]
    return payload
