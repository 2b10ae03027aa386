"""Typed gateway requests for tests, with the defaults a test does not care about."""

from apps.core.money import Money
from apps.payments.gateways import (
    HostedPaymentRequest,
    RefundRequest,
    SavedMethodCharge,
    UsageReport,
)


def hosted(
    *,
    amount: Money,
    idempotency_key: str,
    description: str = "Fast Lead",
    return_url: str = "https://app.test/billing/",
    save_method: bool = True,
    customer_ref: str = "tenant-1",
    payment_ref: str = "p1",
    purpose: str = "plan",
    price_ref: str = "",
    saved_method: str = "",
    test_page_url: str = "",
) -> HostedPaymentRequest:
    return HostedPaymentRequest(
        customer_ref=customer_ref,
        payment_ref=payment_ref,
        amount=amount,
        purpose=purpose,
        description=description,
        return_url=return_url,
        idempotency_key=idempotency_key,
        save_method=save_method,
        saved_method=saved_method,
        price_ref=price_ref,
        test_page_url=test_page_url,
    )


def saved_charge(
    *,
    method_id: str,
    amount: Money,
    idempotency_key: str,
    description: str = "",
    customer_ref: str = "tenant-1",
    payment_ref: str = "p1",
    purpose: str = "renewal",
) -> SavedMethodCharge:
    return SavedMethodCharge(
        customer_ref=customer_ref,
        payment_ref=payment_ref,
        method_id=method_id,
        amount=amount,
        purpose=purpose,
        description=description,
        idempotency_key=idempotency_key,
    )


def refund_request(*, provider_id: str, amount: Money, idempotency_key: str) -> RefundRequest:
    return RefundRequest(
        provider_payment_id=provider_id, amount=amount, idempotency_key=idempotency_key
    )


def usage_report(*, customer_id: str, quantity: int, idempotency_key: str) -> UsageReport:
    return UsageReport(customer_id=customer_id, quantity=quantity, idempotency_key=idempotency_key)
