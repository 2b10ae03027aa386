"""Stripe for the EUR plans, through the official `stripe` SDK (a `StripeClient` per gateway,
never the SDK's global key).

The first payment is a Checkout Session in subscription mode for the plan's Stripe Price
(`Plan.provider_price_ids["stripe"]`, filled by `manage.py billing_stripe_sync`); after that
Stripe renews its own subscriptions, so `charge_saved` is refused and our renewal endpoint
skips Stripe subscriptions. Webhooks arrive through dj-stripe's verified endpoint
(`/webhooks/stripe/webhook/<uuid>/`) and are applied by `apps.billing.stripe_sync`.
"""

from __future__ import annotations

import json
from typing import Any

import stripe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.gateways.base import (
    CANCELED,
    PENDING,
    REFUNDED,
    SUCCEEDED,
    NotificationRejected,
    PaymentIntentResult,
    ProviderError,
    RefundResult,
)
from apps.core.money import Money

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


def _error(exc: stripe.StripeError) -> ProviderError:
    """Map an SDK error onto ours: network trouble, 429 and 5xx may be retried; the rest not."""
    status = getattr(exc, "http_status", None) or 0
    code = getattr(exc, "code", "") or ""
    message = f"stripe: {type(exc).__name__} {status} {code}".strip()
    if isinstance(exc, stripe.CardError):
        decline = getattr(exc, "error", None)
        decline_code = getattr(decline, "decline_code", "") if decline is not None else ""
        reason = decline_code or code
        return ProviderError(
            message, permanent=True, user_message=decline_message(reason), code=reason
        )
    transient = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status >= 500
    )
    if transient:
        return ProviderError(message, permanent=False, retry_after=5.0, code=code)
    return ProviderError(
        message,
        permanent=True,
        user_message=_("The payment service refused the request. Please contact support."),
        code=code or "stripe_error",
    )


def _plain(obj: Any) -> Any:
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


class StripeGateway:
    name = "stripe"

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
            raise ProviderError("stripe: no secret key configured", permanent=True)
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

    def create_payment(
        self,
        *,
        amount: Money,
        description: str,
        idempotency_key: str,
        return_url: str,
        save_method: bool = True,
        metadata: dict[str, str] | None = None,
    ) -> PaymentIntentResult:
        """A Checkout Session in subscription mode for the plan's Stripe Price; the payer is
        sent to its URL. `client_reference_id` and the metadata name our payment."""
        metadata = dict(metadata or {})
        price_id = metadata.pop("stripe_price_id", "") or self._price_for(metadata)
        customer_id = metadata.pop("stripe_customer_id", "") or self._customer_for(metadata)
        payment_id = metadata.get("payment_id", "")
        meta = {
            "payment_id": payment_id,
            "tenant_id": metadata.get("customer_key", ""),
            "tenant_slug": metadata.get("tenant_slug", ""),
        }
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": payment_id,
            "success_url": return_url,
            "cancel_url": return_url,
            "metadata": meta,
            "subscription_data": {"metadata": meta, "description": description[:500]},
        }
        if customer_id:
            params["customer"] = customer_id  # the company's earlier Stripe customer
        try:
            try:
                session = self.client.v1.checkout.sessions.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.InvalidRequestError as exc:
                if not customer_id or getattr(exc, "param", None) != "customer":
                    raise
                # That customer is gone at Stripe: Checkout makes a new one.
                params.pop("customer")
                session = self.client.v1.checkout.sessions.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": f"{idempotency_key}-new-customer"[:255]},
                )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return self._session_result(session, expected=amount)

    def _customer_for(self, metadata: dict[str, str]) -> str:
        from apps.billing.models import Subscription

        tenant_id = metadata.get("customer_key")
        if not tenant_id:
            return ""
        customer_id = (
            Subscription.objects.unscoped()
            .filter(tenant_id=tenant_id, provider=self.name, payment_method_id__startswith="cus_")
            .order_by("-created_at")
            .values_list("payment_method_id", flat=True)
            .first()
        )
        return customer_id or ""

    def _price_for(self, metadata: dict[str, str]) -> str:
        from apps.billing.models import Payment

        payment = (
            Payment.objects.unscoped()
            .select_related("plan")
            .filter(pk=metadata.get("payment_id") or None)
            .first()
        )
        price_id = (payment.plan.provider_price_ids or {}).get("stripe", "") if payment else ""
        if not price_id:
            raise ProviderError(
                "stripe: the plan has no Stripe price (run manage.py billing_stripe_sync)",
                permanent=True,
                user_message=_("This plan cannot be paid through Stripe yet. Please contact us."),
                code="stripe_price_missing",
            )
        return price_id

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
                    raw=_plain(invoice),
                )
            session = self.client.v1.checkout.sessions.retrieve(provider_id)
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return self._session_result(session)

    def charge_saved(
        self,
        *,
        method_id: str,
        amount: Money,
        idempotency_key: str,
        description: str = "",
        metadata: dict[str, str] | None = None,
    ) -> PaymentIntentResult:
        raise ProviderError(
            "stripe renews its own subscriptions; we never charge a Stripe customer ourselves",
            permanent=True,
            user_message=_("Stripe renews this subscription itself."),
            code="stripe_renews_itself",
        )

    def refund(self, *, provider_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Refund (part of) a payment: `provider_id` is our payment's Checkout Session, invoice,
        PaymentIntent or Charge; the refund goes to the PaymentIntent that paid it."""
        try:
            target = self._refund_target(provider_id)
            refund = self.client.v1.refunds.create(
                params={**target, "amount": amount.amount},  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        status = {"succeeded": REFUNDED, "pending": PENDING}.get(refund.status, refund.status)
        if refund.status in ("failed", "canceled"):
            raise ProviderError(
                f"stripe: refund {refund.id} {refund.status}",
                permanent=True,
                user_message=_("The refund was refused by the payment service."),
                code="refund_failed",
            )
        return RefundResult(provider_id=refund.id, status=status, raw=_plain(refund))

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
            raise ProviderError(
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
        raise ProviderError(
            f"stripe: invoice {invoice_id} has no payment",
            permanent=True,
            user_message=_("This payment cannot be refunded automatically."),
            code="refund_target_missing",
        )

    def parse_notification(self, request):
        raise NotificationRejected(
            "Stripe notifications arrive through dj-stripe's verified webhook endpoint"
        )

    # --- Stripe only ------------------------------------------------------------------------

    def customer_portal_url(self, customer_id: str, return_url: str) -> str:
        """A Stripe customer portal session (payment method, invoices, cancel) for a customer."""
        try:
            session = self.client.v1.billing_portal.sessions.create(
                params={"customer": customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return session.url

    def report_usage(self, *, customer_id: str, quantity: int, idempotency_key: str) -> str:
        """Report metered usage (billed in arrears on the next invoice) as a Billing Meter
        Event; its `identifier` is our idempotency key, so a retry is not counted twice.
        Returns the meter event's identifier."""
        if not self.meter_event_name:
            raise ProviderError(
                "stripe: STRIPE_METER_EVENT_ENRICHMENT is not set",
                permanent=True,
                user_message=_("Metered billing is not configured."),
                code="meter_missing",
            )
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        identifier = idempotency_key[:100]
        try:
            event = self.client.v1.billing.meter_events.create(
                params={
                    "event_name": self.meter_event_name,
                    "identifier": identifier,
                    "payload": {"stripe_customer_id": customer_id, "value": str(quantity)},
                },
                options={"idempotency_key": identifier},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return getattr(event, "identifier", None) or identifier
