"""The one payment-gateway interface: dataclasses in and out, vendor objects never leave an
adapter. Every adapter maps its vendor's states onto `PaymentStatus` values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from apps.core.money import Money

# Our payment states (apps.billing.models.PaymentStatus holds the same values).
PENDING = "pending"
WAITING_FOR_CAPTURE = "waiting_for_capture"
SUCCEEDED = "succeeded"
CANCELED = "canceled"
FAILED = "failed"
REFUNDED = "refunded"


class ProviderError(Exception):
    """A gateway call failed. `permanent` = retrying the same call cannot help (a decline, a
    rejected request); otherwise retry after `retry_after` seconds (timeouts, 5xx).
    `user_message` is safe to show the payer (never the vendor's raw text)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        user_message: str = "",
        code: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.code = code
        self.user_message = user_message or (
            str(_("The card was declined."))
            if permanent
            else str(_("The payment service is not responding. Please try again later."))
        )


class RedirectRequired(Exception):
    """The payer must finish on a hosted page (3-D Secure, the provider's payment form)."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class NotificationRejected(Exception):
    """A webhook that failed verification (bad signature, untrusted source, unparsable)."""


@dataclass(frozen=True)
class PaymentIntentResult:
    provider_id: str
    status: str
    confirmation_url: str | None = None
    payment_method_id: str = ""  # saved card / RebillId, once the provider reports it
    failure_reason: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    provider_id: str
    status: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationEvent:
    """A verified provider notification, reduced to what the services need."""

    provider: str
    event_id: str  # unique per provider: the webhook idempotency key
    provider_payment_id: str
    status: str
    payment_method_id: str = ""
    failure_reason: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    # Our own reference as the provider echoes it (T-Bank's OrderId = our idempotency key,
    # YooKassa's metadata.payment_id = our payment id): finds a payment whose provider id we
    # never saved (the process died between the provider call and our commit).
    order_ref: str = ""


class PaymentGateway(Protocol):
    """What every payment adapter offers. Amounts are `Money` in minor units."""

    name: str
    is_test: bool

    def create_payment(
        self,
        *,
        amount: Money,
        description: str,
        idempotency_key: str,
        return_url: str,
        save_method: bool = True,
        metadata: dict[str, str] | None = None,
    ) -> PaymentIntentResult: ...

    def charge_saved(
        self,
        *,
        method_id: str,
        amount: Money,
        idempotency_key: str,
        description: str = "",
        metadata: dict[str, str] | None = None,
    ) -> PaymentIntentResult: ...

    def refund(self, *, provider_id: str, amount: Money, idempotency_key: str) -> RefundResult: ...

    def fetch(self, provider_id: str) -> PaymentIntentResult: ...

    def parse_notification(self, request) -> NotificationEvent: ...
