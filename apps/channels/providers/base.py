"""The one interface every provider adapter implements, and what it exchanges.

Conversations (inbox/outbox) build on it: `send()` an `OutboundMessage`, get a `SendResult`;
`verify_webhook()` then `parse_inbound()` / `parse_status()` on a provider's callback.
Adapters never log credentials or message bodies; a provider's failure is a `ProviderError`
carrying the provider's own message (shown to the tenant as the channel's last error).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import ProviderError as CoreProviderError
from apps.core.http import make_client, retry_after_seconds

ERROR_MESSAGE_LIMIT = 500


class ProviderError(CoreProviderError):
    """The provider refused or failed; `message` is its own words (secrets never in them).

    Transient (429, 5xx, the provider not reached) unless said otherwise: `permanent` is the
    core meaning (retrying cannot help). `maybe_sent` says the request may have reached the
    provider before it failed (a timeout waiting for the answer, a dropped connection): such a
    send must not be repeated blindly.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        transient: bool | None = None,
        maybe_sent: bool = False,
    ):
        message = str(message)[:ERROR_MESSAGE_LIMIT]
        if transient is None:
            transient = status == 429 or (status or 0) >= 500
        super().__init__(
            message,
            permanent=not transient,
            retry_after=retry_after,
            status=status,
            code=_code(status, transient),
            user_message=message,
        )
        self.maybe_sent = maybe_sent

    def __str__(self) -> str:
        return self.message

    @property
    def unauthorized(self) -> bool:
        return self.status in (401, 403)


def _code(status: int | None, transient: bool) -> str:
    if status in (401, 403):
        return "unauthorized"
    if status == 429:
        return "rate_limited"
    if status and status >= 500:
        return "server_error"
    return "unreachable" if transient else "refused"


class WebhookRejected(Exception):
    """A callback whose secret or signature does not match: answer 403, process nothing."""


@dataclass(frozen=True)
class Field:
    name: str
    label: object  # lazy translation
    help_text: object = ""
    required: bool = True
    secret: bool = True


@dataclass(frozen=True)
class OutboundMessage:
    to: str  # address in the provider's terms: e-mail, E.164 phone, Telegram chat id
    text: str
    subject: str = ""
    idempotency_key: str = ""  # passed to providers that take one
    callback_url: str = ""  # where the provider reports delivery statuses (Twilio)
    # An approved template instead of free text (WhatsApp outside its 24-hour window):
    # {"name", "language", "params": [values in order], "named": [parameter names] | []}.
    template: dict | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    # sent | queued; "delivered" only where the provider's acceptance is the delivery itself
    # (Telegram: no receipts follow, see providers/telegram.py).
    status: str = "sent"


@dataclass(frozen=True)
class InboundMessage:
    provider_message_id: str
    sender: str  # phone / e-mail / Telegram chat id / WhatsApp number
    text: str
    sender_name: str = ""
    subject: str = ""  # e-mail
    raw: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str  # delivered | read | failed | sent ("" = none: only `suppress` applies)
    error: str = ""
    # The provider says the address should get nothing more: bounce | complaint | opt_out.
    suppress: str = ""
    address: str = ""  # the recipient, for `suppress`


class Adapter(ABC):
    """One provider. Subclasses set the class attributes and implement the abstract methods;
    the webhook methods default to "this provider calls us with nothing" (every callback
    refused, nothing parsed)."""

    provider: ClassVar[str]
    kind: ClassVar[str]
    credential_fields: ClassVar[tuple[Field, ...]] = ()
    setting_fields: ClassVar[tuple[Field, ...]] = ()
    help_text: ClassVar[object] = ""
    max_length: ClassVar[int] = 4096  # characters of one message's text the provider takes
    # The provider deduplicates sends carrying the same `OutboundMessage.idempotency_key`, so a
    # send whose outcome is unknown may safely be repeated with it.
    accepts_idempotency_key: ClassVar[bool] = False
    # What the webhook view answers the provider with (body, content type).
    webhook_answer: ClassVar[tuple[str, str]] = ("", "text/plain")
    # Non-empty: the tenant pastes the channel's webhook URL into the provider's settings
    # itself (the "Каналы" page shows the URL with this text).
    webhook_help: ClassVar[object] = ""

    def __init__(
        self,
        *,
        credentials: dict,
        settings: dict,
        webhook_token: str = "",
        transport: httpx.BaseTransport | None = None,
    ):
        self.credentials = credentials
        self.settings = settings
        self.webhook_token = webhook_token
        self.transport = transport

    def __repr__(self) -> str:  # never the credentials
        return f"<{type(self).__name__}>"

    # --- the interface ---------------------------------------------------------------------
    @abstractmethod
    def verify_credentials(self) -> str:
        """Call the provider's cheapest authenticated endpoint; return a short description of
        the account (bot name, balance…) or raise ProviderError with the provider's message."""

    @abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Hand one message to the provider; ProviderError on refusal (`maybe_sent` when the
        request may have reached it)."""

    def verify_webhook(self, request) -> None:
        """Raise WebhookRejected unless the callback carries this channel's secret. The
        default: the provider has no callbacks for us, so any is refused."""
        raise WebhookRejected("this provider sends no callbacks")

    def parse_inbound(self, request) -> list[InboundMessage]:
        return []

    def message_templates(self) -> list[dict] | None:
        """The provider's approved message templates, for providers that have them (None:
        this provider has none). Each: {"name", "language", "body", "params": [names]}."""
        return None

    def parse_status(self, request) -> list[StatusUpdate]:
        return []

    # --- helpers ---------------------------------------------------------------------------
    def client(self, base_url: str, **kwargs) -> httpx.Client:
        return make_client(base_url=base_url, transport=self.transport, **kwargs)

    def request(self, client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
        """One call; transport failures, 429 and other 4xx/5xx become ProviderError with the
        provider's own message (from `error_text`)."""
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            # Not connected: nothing reached the provider. Anything later (a timeout waiting
            # for the answer, a dropped connection) may have.
            not_sent = isinstance(
                exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
            )
            raise ProviderError(
                _("Could not reach the provider: %(error)s") % {"error": type(exc).__name__},
                transient=True,
                maybe_sent=not not_sent,
            ) from None
        if response.status_code == 429:
            wait = retry_after_seconds(response.headers)
            raise ProviderError(
                _("Rate limited by the provider: %(message)s")
                % {"message": self.error_text(response)},
                status=429,
                retry_after=wait,
            )
        if response.status_code >= 400:
            raise ProviderError(self.error_text(response), status=response.status_code)
        return response

    def error_text(self, response: httpx.Response) -> str:
        """The provider's own error message from an error answer."""
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        return str(_find_message(body) or f"HTTP {response.status_code}")


def _find_message(body) -> str:
    if isinstance(body, dict):
        for key in ("description", "message", "error_message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict):
                found = _find_message(value)
                if found:
                    return found
    return ""


REQUIRED = gettext_lazy("This field is required.")
