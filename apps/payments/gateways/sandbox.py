"""The offline sandbox: payments are marked TEST and completed on our own test-card page
(`HostedPaymentRequest.test_page_url`, /t/<slug>/billing/sandbox/<payment_id>/) with Approve /
Decline, so every flow is clickable without a provider. Saved "cards" whose id contains
`decline` are declined on renewal."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _

from apps.payments.gateways.base import (
    PENDING,
    REFUNDED,
    SUCCEEDED,
    Capabilities,
    GatewayBase,
    GatewayError,
    HostedPaymentRequest,
    PaymentIntentResult,
    RefundRequest,
    RefundResult,
    SavedMethodCharge,
)


class SandboxGateway(GatewayBase):
    name = "sandbox"
    is_test = True
    capabilities = Capabilities(can_charge_saved_card=True, reports_status=False)

    def create_payment(self, request: HostedPaymentRequest) -> PaymentIntentResult:
        """The test-card page is the confirmation step."""
        if not request.test_page_url:
            raise GatewayError("sandbox: no test page to send the payer to", permanent=True)
        return PaymentIntentResult(
            provider_id=f"sandbox_{request.idempotency_key}",
            status=PENDING,
            confirmation_url=request.test_page_url,
            raw={
                "test": True,
                "amount": request.amount.amount,
                "currency": request.amount.currency,
            },
        )

    def charge_saved(self, request: SavedMethodCharge) -> PaymentIntentResult:
        if "decline" in request.method_id:
            raise GatewayError(
                "sandbox decline",
                permanent=True,
                user_message=_("Test card declined: insufficient funds."),
                code="insufficient_funds",
            )
        return PaymentIntentResult(
            provider_id=f"sandbox_{request.idempotency_key}",
            status=SUCCEEDED,
            payment_method_id=request.method_id,
            raw={
                "test": True,
                "amount": request.amount.amount,
                "currency": request.amount.currency,
            },
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult(
            provider_id=f"sandbox_refund_{request.idempotency_key}", status=REFUNDED
        )

    def fetch(self, provider_id: str) -> PaymentIntentResult:
        # The sandbox keeps no state of its own: our Payment row is the truth.
        return PaymentIntentResult(provider_id=provider_id, status=PENDING, raw={"test": True})

    @staticmethod
    def new_method_id(*, decline_later: bool = False) -> str:
        """A saved test card; with `decline_later` every later charge on it is declined."""
        kind = "decline_" if decline_later else ""
        return f"sandbox_card_{kind}{uuid.uuid4().hex[:12]}"
