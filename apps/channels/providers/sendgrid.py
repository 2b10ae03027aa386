"""E-mail through SendGrid's v3 API: sending with django-anymail's SendGrid backend (one
connection per channel, the tenant's own API key), the key checked with GET /v3/scopes,
delivery statuses from the Event Webhook and replies from Inbound Parse.

Both callbacks come to the channel's webhook URL (its token is the per-channel secret):
- Event Webhook: a JSON array of events. With the channel's "Signed Event Webhook" public key
  set, each post must carry a valid ECDSA signature over timestamp + body
  (X-Twilio-Email-Event-Webhook-Signature / -Timestamp), else it is refused (403).
  anymail's tracking view reads its key and basic-auth secret from global settings, which does
  not fit one key per tenant's channel, so the documented JSON is parsed here.
- Inbound Parse: multipart/form-data (from, to, subject, text, html, headers — or `email`, the
  raw MIME, with "POST the raw, full MIME message"), read with anymail's inbound message.

SendGrid takes no idempotency key: a send whose answer was lost is `unknown`, never repeated.
anymail tags each message with `custom_args.anymail_id`; SendGrid echoes it in every event, so
it is the provider message id statuses are matched by.
"""

from __future__ import annotations

import base64
import binascii
import json
import warnings

import requests
from anymail.exceptions import AnymailError, AnymailNotSupportedWarning, AnymailRequestsAPIError
from anymail.inbound import AnymailInboundMessage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.mail import EmailMessage, get_connection
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from urllib3.exceptions import ConnectTimeoutError

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
from apps.core.http import retry_after_seconds

API = "https://api.sendgrid.com/v3/"
BACKEND = "anymail.backends.sendgrid.EmailBackend"
TIMEOUT = 15
SEND_SCOPE = "mail.send"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
# SendGrid event → our status ("" = no status change). Documented in "Event Webhook Reference".
EVENT_STATUS = {
    "processed": "sent",
    "delivered": "delivered",
    "open": "read",
    "bounce": "failed",
    "dropped": "failed",
    "spamreport": "",
    "unsubscribe": "",
    "group_unsubscribe": "",
}
EVENT_SUPPRESS = {
    "bounce": "bounce",
    "spamreport": "complaint",
    "unsubscribe": "opt_out",
    "group_unsubscribe": "opt_out",
}


class SendGridAdapter(Adapter):
    provider = "sendgrid"
    kind = "email"
    credential_fields = (
        Field(
            "api_key",
            gettext_lazy("API key"),
            gettext_lazy(
                "SendGrid → Settings → API Keys: a key with the Mail Send permission "
                "(restricted access is enough). Starts with SG."
            ),
        ),
    )
    setting_fields = (
        Field(
            "from_email",
            gettext_lazy("From address"),
            gettext_lazy("A verified sender or an address at your authenticated domain."),
            secret=False,
        ),
        Field("from_name", gettext_lazy("From name"), required=False, secret=False),
        Field(
            "event_webhook_key",
            gettext_lazy("Event Webhook verification key"),
            gettext_lazy(
                "Optional. Settings → Mail Settings → Event Webhook → Signed Event Webhook: "
                "the public key. With it, unsigned status callbacks are refused."
            ),
            required=False,
            secret=False,
        ),
    )
    help_text = gettext_lazy(
        "E-mail through your SendGrid account: delivery statuses from the Event Webhook, "
        "replies from Inbound Parse."
    )
    webhook_help = gettext_lazy(
        "In SendGrid, paste this URL as the Event Webhook's Post URL (delivered, opened, "
        "bounced, dropped) and as the Inbound Parse host's destination URL (replies)."
    )
    max_length = 100_000

    # --- credentials ---------------------------------------------------------------------------
    def verify_credentials(self) -> str:
        """GET /v3/scopes: the cheapest authenticated call; the key must be allowed to send."""
        self._verification_key()  # a pasted key that is not a public key: say so now
        with self.client(
            API, headers={"Authorization": f"Bearer {self.credentials['api_key']}"}
        ) as client:
            scopes = self.request(client, "GET", "scopes").json().get("scopes") or []
        if SEND_SCOPE not in scopes:
            raise ProviderError(
                _("This API key may not send mail: give it the Mail Send permission."),
                status=403,
            )
        return self.settings.get("from_email", "")

    def error_text(self, response) -> str:
        """SendGrid's errors: {"errors": [{"message": "...", "field": ...}]}."""
        try:
            errors = response.json().get("errors") or []
        except (ValueError, AttributeError):
            errors = []
        messages = [str(e.get("message")) for e in errors if isinstance(e, dict)]
        return "; ".join(m for m in messages if m) or f"HTTP {response.status_code}"

    # --- sending -------------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        sender = self.settings["from_email"]
        if self.settings.get("from_name"):
            sender = f'"{self.settings["from_name"]}" <{sender}>'
        with warnings.catch_warnings():  # anymail no longer tests SendGrid itself; we do
            warnings.simplefilter("ignore", AnymailNotSupportedWarning)
            connection = get_connection(
                BACKEND,
                api_key=self.credentials["api_key"],
                api_url=API,
                timeout=TIMEOUT,
                fail_silently=False,
            )
            email = EmailMessage(
                message.subject or "", message.text, sender, [message.to], connection=connection
            )
            try:
                email.send()
            except AnymailRequestsAPIError as exc:
                raise self._send_error(exc) from None
            except AnymailError as exc:  # the message itself (an address anymail refuses)
                raise ProviderError(str(exc).split("\n")[0], transient=False) from None
        status = email.anymail_status
        return SendResult(provider_message_id=str(status.message_id or ""), status="sent")

    def _send_error(self, exc: AnymailRequestsAPIError) -> ProviderError:
        response = exc.response
        if response is not None:  # SendGrid answered: it did not take the message
            retry_after = (
                retry_after_seconds(response.headers) if response.status_code == 429 else None
            )
            return ProviderError(
                self.error_text(response), status=response.status_code, retry_after=retry_after
            )
        cause = exc.__cause__
        return ProviderError(
            _("Could not reach the provider: %(error)s") % {"error": type(cause).__name__},
            transient=True,
            maybe_sent=not _not_connected(cause),
        )

    # --- callbacks -----------------------------------------------------------------------------
    def _verification_key(self):
        raw = (self.settings.get("event_webhook_key") or "").strip()
        if not raw:
            return None
        body = "".join(line for line in raw.splitlines() if "-----" not in line)
        try:
            return serialization.load_der_public_key(base64.b64decode(body))
        except (ValueError, TypeError, binascii.Error):
            raise ProviderError(
                _("The Event Webhook verification key is not a valid public key."),
                transient=False,
            ) from None

    def verify_webhook(self, request) -> None:
        """The URL's channel token is the secret; event posts must also be signed when the
        channel has the Signed Event Webhook's public key."""
        if not _is_events(request):
            return  # Inbound Parse signs nothing: the URL token is its secret
        try:
            key = self._verification_key()
        except ProviderError:
            raise WebhookRejected("the channel's verification key is unusable") from None
        if key is None:
            return
        signature = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not signature or not timestamp:
            raise WebhookRejected("SendGrid signature headers missing")
        try:
            key.verify(
                base64.b64decode(signature),
                timestamp.encode() + request.body,
                ec.ECDSA(hashes.SHA256()),
            )
        except (InvalidSignature, binascii.Error, ValueError, TypeError):
            raise WebhookRejected("SendGrid signature does not match") from None

    def parse_status(self, request) -> list[StatusUpdate]:
        if not _is_events(request):
            return []
        try:
            events = json.loads(request.body or b"[]")
        except ValueError:
            return []
        found = []
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict):
                continue
            name = str(event.get("event", ""))
            if name not in EVENT_STATUS:
                continue
            status = EVENT_STATUS[name]
            error = ""
            if status == "failed":
                error = str(event.get("reason") or event.get("response") or event.get("type", ""))
            # a "blocked" bounce is the receiving server's passing refusal, not a dead address
            suppress = "" if event.get("type") == "blocked" else EVENT_SUPPRESS.get(name, "")
            found.append(
                StatusUpdate(
                    provider_message_id=str(event.get("anymail_id") or ""),
                    status=status,
                    error=error,
                    suppress=suppress,
                    address=str(event.get("email") or ""),
                )
            )
        return found

    def parse_inbound(self, request) -> list[InboundMessage]:
        if _is_events(request):
            return []
        form = request.POST
        if "headers" in form:
            mail = AnymailInboundMessage.construct(
                raw_headers=form.get("headers", ""), text=form.get("text"), html=form.get("html")
            )
        elif "email" in form:
            mail = AnymailInboundMessage.parse_raw_mime(form["email"])
        else:
            return []
        sender = mail.from_email
        if isinstance(sender, list):
            sender = sender[0] if sender else None
        if sender is None:
            return []
        text = mail.text or strip_tags(mail.html or "")
        return [
            InboundMessage(
                provider_message_id=str(mail["Message-ID"] or "").strip(),
                sender=sender.addr_spec,
                sender_name=sender.display_name or "",
                subject=str(mail.subject or ""),
                text=text.strip(),
            )
        ]


def _is_events(request) -> bool:
    return request.content_type == "application/json"


def _not_connected(cause) -> bool:
    """True when the request never reached SendGrid (connection refused, DNS, connect
    timeout); anything later (a read timeout, a dropped connection) may have sent it."""
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError):
        reason = getattr(cause.args[0] if cause.args else None, "reason", None)
        return isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one too
    return False
