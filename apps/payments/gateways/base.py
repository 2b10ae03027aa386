"""The one payment-gateway interface: typed requests in, typed results out; vendor objects never
leave an adapter, and no adapter reads our database. Every adapter maps its vendor's states
onto `PaymentStatus` values and declares what it can do (`Capabilities`): callers ask a
capability, never a provider's name.

Failures raise `apps.core.errors.ProviderError` (permanent or not, a message safe to show);
an operation a gateway does not offer raises a permanent one with code `not_supported`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext as _

from apps.core.errors import ProviderError
from apps.core.money import Money

# Our payment states (apps.payments.models.PaymentStatus holds the same values).
PENDING = "pending"
WAITING_FOR_CAPTURE = "waiting_for_capture"
SUCCEEDED = "succeeded"
CANCELED = "canceled"
FAILED = "failed"
REFUNDED = "refunded"


class GatewayError(ProviderError):
    """The core `ProviderError` as payment adapters raise it: when the adapter gives no
    `user_message`, the payer is told the card was declined (permanent) or that the service
    does not answer (transient)."""

    def __init__(self, message: str, *, permanent: bool = False, user_message: str = "", **kw):
        super().__init__(
            message,
            permanent=permanent,
            user_message=user_message
            or (
                _("The card was declined.")
                if permanent
                else _("The payment service is not responding. Please try again later.")
            ),
            **kw,
        )


class RedirectRequired(Exception):
    """The payer must finish on a hosted page (3-D Secure, the provider's payment form)."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class NotificationRejected(Exception):
    """A webhook that failed verification (bad signature, untrusted source, unparsable)."""


@dataclass(frozen=True)
class Capabilities:
    """What a gateway can do. Callers decide by these, never by the provider's name."""

    can_charge_saved_card: bool = False  # charge_saved(): renewals, paid actions, upgrades
    renews_itself: bool = False  # the provider runs its own subscriptions (we never charge)
    meters_usage: bool = False  # report_usage(): usage billed in arrears on its invoices
    has_customer_portal: bool = False  # customer_portal_url()
    notifies_us: bool = False  # parse_notification(): webhooks at our own endpoint
    reports_status: bool = True  # fetch() asks the provider (the sandbox keeps no state)
    fiscal_receipts: bool = False  # sends a 54-FZ receipt with RUB payments and refunds
    receipt_in_fetch: bool = False  # fetch() reports the receipt's registration (else webhooks)


# Fiscal receipts (54-FZ). Neutral names; each adapter maps them onto its provider's codes.
RECEIPT_PENDING = "pending"  # sent with the payment, not yet registered by the provider
RECEIPT_REGISTERED = "registered"  # the fiscal data operator registered it
RECEIPT_FAILED = "failed"  # the provider could not register it (staff must act)


@dataclass(frozen=True)
class ReceiptItem:
    """One position of a receipt: `unit_amount` × `quantity` = `amount` (minor units)."""

    description: str
    quantity: int
    unit_amount: int
    amount: int
    vat: str  # "none", "vat0", "vat5", "vat7", "vat10", "vat20", "vat22", "vat105", ...
    payment_subject: str  # "service", "commodity", ... (признак предмета расчёта)
    payment_mode: str  # "full_payment", "full_prepayment", ... (признак способа расчёта)


@dataclass(frozen=True)
class Receipt:
    """A 54-FZ receipt for a payment or a refund; its items add up to the money moved."""

    email: str
    phone: str
    tax_system: str  # "osn", "usn_income", "usn_income_outcome", "envd", "esn", "patent"
    items: tuple[ReceiptItem, ...]

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "phone": self.phone,
            "tax_system": self.tax_system,
            "items": [dict(item.__dict__) for item in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Receipt | None:
        if not data or not data.get("items"):
            return None
        return cls(
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            tax_system=data["tax_system"],
            items=tuple(ReceiptItem(**item) for item in data["items"]),
        )


@dataclass(frozen=True)
class HostedPaymentRequest:
    """A payment the payer completes on a hosted page (the provider's, or our test-card page).

    `customer_ref` is our customer (the tenant id), `payment_ref` our payment's id; both are
    echoed back by the provider. `saved_method` is what the payer saved at this provider
    earlier (a card, or the provider's own customer), `price_ref` the provider's price for
    gateways that sell subscriptions themselves, `test_page_url` the page an offline gateway
    sends the payer to."""

    customer_ref: str
    payment_ref: str
    amount: Money
    purpose: str
    description: str
    return_url: str
    idempotency_key: str
    save_method: bool = True
    saved_method: str = ""
    price_ref: str = ""
    test_page_url: str = ""
    receipt: Receipt | None = None  # a fiscal receipt, for gateways that send one


@dataclass(frozen=True)
class SavedMethodCharge:
    """A charge on a method the payer saved earlier (a renewal, a paid action, an upgrade)."""

    customer_ref: str
    payment_ref: str
    method_id: str
    amount: Money
    purpose: str
    description: str
    idempotency_key: str
    receipt: Receipt | None = None


@dataclass(frozen=True)
class RefundRequest:
    provider_payment_id: str
    amount: Money
    idempotency_key: str
    receipt: Receipt | None = None  # the refund receipt (признак расчёта «возврат прихода»)


@dataclass(frozen=True)
class UsageReport:
    """Units delivered, billed in arrears by a gateway that meters usage."""

    customer_id: str  # the provider's customer (the subscription's saved method)
    quantity: int
    idempotency_key: str


@dataclass(frozen=True)
class PortalRequest:
    customer_id: str
    return_url: str


@dataclass(frozen=True)
class PaymentIntentResult:
    provider_id: str
    status: str
    confirmation_url: str | None = None
    payment_method_id: str = ""  # saved card / RebillId / customer, once the provider reports it
    failure_reason: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    amount: Money | None = None  # what the provider says was paid, when it says
    receipt_status: str = ""  # RECEIPT_*, when the provider reports it


@dataclass(frozen=True)
class RefundResult:
    provider_id: str
    status: str
    raw: dict[str, Any] = field(default_factory=dict)
    receipt_status: str = ""


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
    amount: Money | None = None  # what the provider says was paid, when it says
    receipt_status: str = ""  # RECEIPT_*, when the notification reports a receipt
    receipt_of_refund: bool = False  # the receipt reported is a refund's (T-Bank IncomeReturn)


class PaymentGateway(Protocol):
    """What every payment adapter offers. Amounts are `Money` in minor units."""

    name: str
    is_test: bool
    capabilities: Capabilities

    def create_payment(self, request: HostedPaymentRequest) -> PaymentIntentResult: ...

    def charge_saved(self, request: SavedMethodCharge) -> PaymentIntentResult: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def fetch(self, provider_id: str) -> PaymentIntentResult: ...

    def parse_notification(self, request) -> NotificationEvent: ...

    def customer_portal_url(self, request: PortalRequest) -> str: ...

    def report_usage(self, request: UsageReport) -> str: ...


class GatewayBase:
    """Defaults for the optional operations: each answers a permanent `not_supported` error
    (callers ask `capabilities` first, so this is only reached by a programming error)."""

    name = ""
    is_test = False
    capabilities = Capabilities()

    def _unsupported(self, operation: str) -> ProviderError:
        return GatewayError(
            f"{self.name}: {operation} is not supported",
            permanent=True,
            code="not_supported",
            user_message=_("This payment method cannot do that."),
        )

    def charge_saved(self, request: SavedMethodCharge) -> PaymentIntentResult:
        raise self._unsupported("charging a saved method")

    def parse_notification(self, request) -> NotificationEvent:
        raise NotificationRejected(f"{self.name} sends no notifications to this endpoint")

    def customer_portal_url(self, request: PortalRequest) -> str:
        raise self._unsupported("a customer portal")

    def report_usage(self, request: UsageReport) -> str:
        raise self._unsupported("metered usage")
