"""The offline sandbox: payments are marked TEST and completed on our own test-card page
(/t/<slug>/billing/sandbox/<payment_id>/) with Approve / Decline, so every flow is clickable
without a provider. Saved "cards" whose id contains `decline` are declined on renewal."""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.billing.gateways.base import (
    PENDING,
    REFUNDED,
    SUCCEEDED,
    NotificationRejected,
    PaymentIntentResult,
    ProviderError,
    RefundResult,
)
from apps.core.money import Money


class SandboxGateway:
    name = "sandbox"
    is_test = True

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
        """The test-card page is the confirmation step; `metadata` names our payment."""
        metadata = metadata or {}
        url = reverse(
            "billing:sandbox",
            kwargs={"tenant_slug": metadata["tenant_slug"], "payment_id": metadata["payment_id"]},
        )
        return PaymentIntentResult(
            provider_id=f"sandbox_{idempotency_key}",
            status=PENDING,
            confirmation_url=url,
            raw={"test": True, "amount": amount.amount, "currency": amount.currency},
        )

    def charge_saved(
        self,
        *,
        method_id: str,
        amount: Money,
        idempotency_key: str,
        description: str = "",
        metadata: dict[str, str] | None = None,
    ) -> PaymentIntentResult:
        if "decline" in method_id:
            raise ProviderError(
                "sandbox decline",
                permanent=True,
                user_message=_("Test card declined: insufficient funds."),
                code="insufficient_funds",
            )
        return PaymentIntentResult(
            provider_id=f"sandbox_{idempotency_key}",
            status=SUCCEEDED,
            payment_method_id=method_id,
            raw={"test": True, "amount": amount.amount, "currency": amount.currency},
        )

    def refund(self, *, provider_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        return RefundResult(provider_id=f"sandbox_refund_{idempotency_key}", status=REFUNDED)

    def fetch(self, provider_id: str) -> PaymentIntentResult:
        # The sandbox keeps no state of its own: our Payment row is the truth.
        return PaymentIntentResult(provider_id=provider_id, status=PENDING, raw={"test": True})

    def parse_notification(self, request) -> None:
        raise NotificationRejected("the sandbox sends no notifications")

    @staticmethod
    def new_method_id(*, decline_later: bool = False) -> str:
        """A saved test card; with `decline_later` every later charge on it is declined."""
        kind = "decline_" if decline_later else ""
        return f"sandbox_card_{kind}{uuid.uuid4().hex[:12]}"
