"""Stripe for the EUR plans, through the official `stripe` SDK (a `StripeClient` per gateway,
never the SDK's global key). This module is `apps.payments.gateways.stripe`; its imports are
absolute, so `import stripe` below is the SDK.

The first payment is a Checkout Session in subscription mode for the plan's Stripe Price (the
request's `price_ref`, which billing keeps in `Plan.provider_price_ids["stripe"]`); after that
Stripe renews its own subscriptions (`renews_itself`: we never charge a saved card), bills
metered usage in arrears (`meters_usage`) and offers its customer portal. The adapter reads
nothing from our database: the request carries the price and the customer. Webhooks arrive
through dj-stripe's verified endpoint (`/webhooks/stripe/webhook/<uuid>/`) and are applied by
`apps.billing.stripe_sync`.
"""

from __future__ import annotations

import json
from typing import Any

import stripe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.payments.gateways.base import (
    CANCELED,
    PENDING,
    REFUNDED,
    SUCCEEDED,
    Capabilities,
    GatewayBase,
    GatewayError,
    HostedPaymentRequest,
    PaymentIntentResult,
    PortalRequest,
    RefundRequest,
    RefundResult,
    UsageReport,
)

TIMEOUT_SECONDS = 20

# Stripe decline codes → a message safe for the payer (never Stripe's raw text).
_DECLINES = {
    "insufficient_funds": gettext_noop("Insufficient funds on the card."),
    "expired_card": gettext_noop("The card has expired."),
    "card_declined": gettext_noop("The card was declined."),
    "incorrect_cvc": gettext_noop("The card's security code is incorrect."),
    "authentication_required": gettext_noop("The bank asked for authentication."),
}


def decline_message(code: str) -> str:
    text = _DECLINES.get(code or "")
    return _(text) if text else _("The payment was declined.")


def provider_error(exc: stripe.StripeError) -> ProviderError:
    """Map an SDK error onto ours: network trouble, 429 and 5xx may be retried; the rest not."""
    status = getattr(exc, "http_status", None) or 0
    code = getattr(exc, "code", "") or ""
    message = f"stripe: {type(exc).__name__} {status} {code}".strip()
    if isinstance(exc, stripe.CardError):
        decline = getattr(exc, "error", None)
        decline_code = getattr(decline, "decline_code", "") if decline is not None else ""
        reason = decline_code or code
        return GatewayError(
            message, permanent=True, user_message=decline_message(reason), code=reason
        )
    transient = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status >= 500
    )
    if transient:
        return GatewayError(message, permanent=False, retry_after=5.0, code=code)
    return GatewayError(
        message,
        permanent=True,
        user_message=_("The payment service refused the request. Please contact support."),
        code=code or "stripe_error",
    )


def plain(obj: Any) -> Any:
    """A Stripe object as plain JSON data (for our `raw` fields)."""
    if isinstance(obj, stripe.StripeObject):
        # The SDK turns `*_decimal` strings into Decimal: back to the wire's strings.
        return json.loads(json.dumps(obj.to_dict(), default=str))
    return obj


def _id(value: Any) -> str:
    """An expandable field: a bare id or an object with one."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(getattr(value, "id", "") or "")


# The customer Stripe made at the first Checkout, kept as the subscription's saved method.
CUSTOMER_PREFIX = "cus_"


class StripeGateway(GatewayBase):
    name = "stripe"
    capabilities = Capabilities(renews_itself=True, meters_usage=True, has_customer_portal=True)

    def __init__(
        self,
        *,
        secret_key: str,
        api_base: str = "https://api.stripe.com",
        api_version: str = "",
        meter_event_name: str = "",
        max_network_retries: int = 2,
    ):
        if not secret_key:
            raise GatewayError("stripe: no secret key configured", permanent=True)
        self.is_test = not secret_key.startswith("sk_live_")
        self.api_key = secret_key  # dj-stripe syncs take the key per call
        self.meter_event_name = meter_event_name
        self.client = stripe.StripeClient(
            secret_key,
            stripe_version=api_version or None,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=max_network_retries,
            http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
        )

    # --- payments -------------------------------------------------------------------------

    def create_payment(self, request: HostedPaymentRequest) -> PaymentIntentResult:
        """A Checkout Session in subscription mode for the request's Stripe Price; the payer
        is sent to its URL. `client_reference_id` and the metadata name our payment."""
        if not request.price_ref:
            raise GatewayError(
                "stripe: the plan has no Stripe price (run manage.py billing_stripe_sync)",
                permanent=True,
                user_message=_("This plan cannot be paid through Stripe yet. Please contact us."),
                code="stripe_price_missing",
            )
        customer_id = (
            request.saved_method if request.saved_method.startswith(CUSTOMER_PREFIX) else ""
        )
        meta = {"payment_id": request.payment_ref, "tenant_id": request.customer_ref}
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": request.price_ref, "quantity": 1}],
            "client_reference_id": request.payment_ref,
            "success_url": request.return_url,
            "cancel_url": request.return_url,
            "metadata": meta,
            "subscription_data": {"metadata": meta, "description": request.description[:500]},
        }
        if customer_id:
            params["customer"] = customer_id  # the company's earlier Stripe customer
        try:
            session = self._checkout(params, request.idempotency_key, customer_id)
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return self._session_result(session, expected=request.amount)

    def _checkout(self, params: dict[str, Any], idempotency_key: str, customer_id: str):
        try:
            return self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            if not customer_id or getattr(exc, "param", None) != "customer":
                raise
        # That customer is gone at Stripe: Checkout makes a new one.
        params.pop("customer")
        return self.client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"{idempotency_key}-new-customer"[:255]},
        )

    def _session_result(self, session, *, expected: Money | None = None) -> PaymentIntentResult:
        status = PENDING
        if session.status == "complete" and session.payment_status in (
            "paid",
            "no_payment_required",
        ):
            status = SUCCEEDED
        elif session.status == "expired":
            status = CANCELED
        raw = {
            "object": "checkout.session",
            "id": session.id,
            "status": session.status,
            "payment_status": session.payment_status,
            "subscription": _id(getattr(session, "subscription", None)),
            "customer": _id(getattr(session, "customer", None)),
            "invoice": _id(getattr(session, "invoice", None)),
            "amount_total": getattr(session, "amount_total", None),
            "currency": (getattr(session, "currency", None) or "").upper(),
            "livemode": bool(getattr(session, "livemode", False)),
        }
        if expected is not None:
            raw["expected"] = {"amount": expected.amount, "currency": expected.currency}
        return PaymentIntentResult(
            provider_id=session.id,
            status=status,
            confirmation_url=getattr(session, "url", None) or None,
            payment_method_id=raw["customer"],
            failure_reason=_("The payment page expired.") if status == CANCELED else "",
            raw=raw,
        )

    def fetch(self, provider_id: str) -> PaymentIntentResult:
        """Our Stripe payments are Checkout Sessions (first payment) or invoices (renewals)."""
        try:
            if provider_id.startswith("in_"):
                invoice = self.client.v1.invoices.retrieve(provider_id)
                paid = invoice.status == "paid"
                return PaymentIntentResult(
                    provider_id=invoice.id,
                    status=SUCCEEDED if paid else PENDING,
                    payment_method_id=_id(invoice.customer),
                    raw=plain(invoice),
                )
            session = self.client.v1.checkout.sessions.retrieve(provider_id)
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return self._session_result(session)

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund (part of) a payment: `provider_id` is our payment's Checkout Session, invoice,
        PaymentIntent or Charge; the refund goes to the PaymentIntent that paid it."""
        try:
            target = self._refund_target(request.provider_payment_id)
            refund = self.client.v1.refunds.create(
                params={**target, "amount": request.amount.amount},  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        status = {"succeeded": REFUNDED, "pending": PENDING}.get(refund.status, refund.status)
        if refund.status in ("failed", "canceled"):
            raise GatewayError(
                f"stripe: refund {refund.id} {refund.status}",
                permanent=True,
                user_message=_("The refund was refused by the payment service."),
                code="refund_failed",
            )
        return RefundResult(provider_id=refund.id, status=status, raw=plain(refund))

    def _refund_target(self, provider_id: str) -> dict[str, str]:
        if provider_id.startswith("pi_"):
            return {"payment_intent": provider_id}
        if provider_id.startswith(("ch_", "py_")):
            return {"charge": provider_id}
        invoice_id = provider_id
        if provider_id.startswith("cs_"):
            session = self.client.v1.checkout.sessions.retrieve(provider_id)
            if _id(getattr(session, "payment_intent", None)):
                return {"payment_intent": _id(session.payment_intent)}
            invoice_id = _id(getattr(session, "invoice", None))
        if not invoice_id.startswith("in_"):
            raise GatewayError(
                f"stripe: nothing to refund for {provider_id}",
                permanent=True,
                user_message=_("This payment cannot be refunded automatically."),
                code="refund_target_missing",
            )
        invoice = self.client.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]})
        payments = getattr(invoice, "payments", None)
        for item in getattr(payments, "data", None) or []:
            payment = getattr(item, "payment", None)
            if _id(getattr(payment, "payment_intent", None)):
                return {"payment_intent": _id(payment.payment_intent)}
            if _id(getattr(payment, "charge", None)):
                return {"charge": _id(payment.charge)}
        legacy = getattr(invoice, "payment_intent", None)  # API versions before 2025-03-31
        if legacy:
            return {"payment_intent": _id(legacy)}
        raise GatewayError(
            f"stripe: invoice {invoice_id} has no payment",
            permanent=True,
            user_message=_("This payment cannot be refunded automatically."),
            code="refund_target_missing",
        )

    # --- the customer portal and metered usage -------------------------------------------------

    def customer_portal_url(self, request: PortalRequest) -> str:
        """A Stripe customer portal session (payment method, invoices, cancel) for a customer."""
        try:
            session = self.client.v1.billing_portal.sessions.create(
                params={"customer": request.customer_id, "return_url": request.return_url}
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return session.url

    def report_usage(self, request: UsageReport) -> str:
        """Report metered usage (billed in arrears on the next invoice) as a Billing Meter
        Event; its `identifier` is our idempotency key, so a retry is not counted twice.
        Returns the meter event's identifier."""
        if not self.meter_event_name:
            raise GatewayError(
                "stripe: STRIPE_METER_EVENT_ENRICHMENT is not set",
                permanent=True,
                user_message=_("Metered billing is not configured."),
                code="meter_missing",
            )
        if request.quantity <= 0:
            raise ValueError("quantity must be positive")
        identifier = request.idempotency_key[:100]
        try:
            event = self.client.v1.billing.meter_events.create(
                params={
                    "event_name": self.meter_event_name,
                    "identifier": identifier,
                    "payload": {
                        "stripe_customer_id": request.customer_id,
                        "value": str(request.quantity),
                    },
                },
                options={"idempotency_key": identifier},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return getattr(event, "identifier", None) or identifier
