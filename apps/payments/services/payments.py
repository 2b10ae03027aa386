"""The generic steps of a payment, whatever it is for: claim it for one provider call, create
it at the provider as a hosted page or charge a saved method, apply the provider's status.

The Payment row is written (and committed) by the caller before the provider is called: its
id is the idempotency key, so a retry after a timeout or a crash reaches the same provider
payment. What a settled payment *does* is its purpose's business (`apps.payments.purposes`).
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ProviderError, ValidationFailed
from apps.core.events import log_event
from apps.core.money import Money
from apps.payments import gateways, purposes
from apps.payments.gateways import HostedPaymentRequest, PaymentIntentResult, SavedMethodCharge
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import PAYMENT_STATUS_RANK, Payment, PaymentStatus
from apps.payments.services.invoices import invoice_for_payment
from apps.payments.services.receipts import payment_receipt_prepare, receipt_status_keep

logger = structlog.get_logger("fastlead.payments")

CLAIM_TTL = timedelta(minutes=2)  # longer than one provider call with its timeouts
SETTLED_BADLY = (PaymentStatus.FAILED, PaymentStatus.CANCELED)


def payment_claim(payment: Payment) -> bool:
    """Claim a pending payment for one provider call: only one worker calls the provider for
    a payment at a time (a claim older than CLAIM_TTL, left by a dead worker, expires)."""
    now = timezone.now()
    claimed = (
        Payment.objects.unscoped()
        .filter(pk=payment.pk, status=PaymentStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL))
        .update(claimed_at=now)
    )
    return claimed == 1


def payment_release(payment: Payment, **fields) -> None:
    """Give a claim back (the provider's answer is unknown or still pending)."""
    Payment.objects.unscoped().filter(pk=payment.pk).update(claimed_at=None, **fields)


def payment_hosted_create(
    payment: Payment,
    *,
    return_url: str,
    test_page_url: str = "",
    price_ref: str = "",
    saved_method: str = "",
) -> PaymentIntentResult:
    """Create `payment` at its provider as a hosted page (the provider's form, or the test-card
    page `test_page_url` of an offline gateway) and keep the provider's id and the page's URL
    on the row. The payer comes back to `return_url` naming the payment, so the page can ask
    for its status. `price_ref` and `saved_method` are the caller's hints for gateways that
    sell subscriptions themselves. Raises `ProviderError`; returns the provider's result."""
    separator = "&" if "?" in return_url else "?"
    request = HostedPaymentRequest(
        customer_ref=str(payment.tenant_id),
        payment_ref=str(payment.pk),
        amount=payment.money,
        purpose=payment.kind,
        description=payment.description,
        return_url=f"{return_url}{separator}payment={payment.pk}",
        idempotency_key=payment.idempotency_key,
        save_method=True,
        saved_method=saved_method,
        price_ref=price_ref,
        test_page_url=test_page_url,
        receipt=payment_receipt_prepare(payment),
    )
    result = gateways.get_gateway(payment.provider).create_payment(request)
    payment.provider_id = result.provider_id
    payment.confirmation_url = result.confirmation_url or ""
    payment.raw = result.raw
    payment.save(update_fields=["provider_id", "confirmation_url", "raw", "updated_at"])
    receipt_status_keep(payment, result.receipt_status)
    return result


def payment_charge_saved(payment: Payment, *, description: str = "") -> PaymentIntentResult:
    """Charge `payment` on its saved method with its own idempotency key (a retry reaches the
    same provider payment). The caller holds the claim. Raises `ProviderError`."""
    gateway = gateways.get_gateway(payment.provider)
    if not gateway.capabilities.can_charge_saved_card:
        raise gateways.GatewayError(
            f"{payment.provider} does not charge saved methods",
            permanent=True,
            code="saved_method_not_supported",
            user_message=_("This payment method cannot be charged automatically."),
        )
    result = gateway.charge_saved(
        SavedMethodCharge(
            customer_ref=str(payment.tenant_id),
            payment_ref=str(payment.pk),
            method_id=payment.payment_method_id,
            amount=payment.money,
            purpose=payment.kind,
            description=description or payment.description,
            idempotency_key=payment.idempotency_key,
            receipt=payment_receipt_prepare(payment),
        )
    )
    receipt_status_keep(payment, result.receipt_status)
    return result


def payment_result_keep(payment: Payment, result: PaymentIntentResult) -> None:
    """Keep the provider's id and answer on the row (before its status is applied)."""
    fields = {"raw": result.raw}
    if result.provider_id:
        fields["provider_id"] = result.provider_id[:64]
        payment.provider_id = fields["provider_id"]
    Payment.objects.unscoped().filter(pk=payment.pk).update(**fields)


@transaction.atomic
def payment_apply_status(
    payment: Payment,
    status: str,
    *,
    raw: dict | None = None,
    payment_method_id: str = "",
    failure_reason: str = "",
    reported: Money | None = None,
) -> Payment:
    """Move a payment to `status` if that is a step up the ladder; otherwise do nothing
    (replays and out-of-order events). The purpose's handlers run in this transaction; every
    successful payment gets its invoice after them (so it sees the period the payment paid).

    `reported` is the amount the provider says was paid: a success for any other amount or
    currency than the payment's leaves it `needs_review`, alerts staff and activates nothing.
    """
    payment = Payment.objects.for_tenant(payment.tenant).select_for_update().get(pk=payment.pk)
    if status == PaymentStatus.SUCCEEDED and reported is not None and reported != payment.money:
        return _amount_mismatch(payment, reported, raw)
    if PAYMENT_STATUS_RANK[status] <= PAYMENT_STATUS_RANK[payment.status]:
        if status == payment.status == PaymentStatus.SUCCEEDED and payment_method_id:
            _keep_method(payment, payment_method_id)  # the card came after the status
        return payment
    payment.status = status
    payment.raw = raw if raw is not None else payment.raw
    payment.payment_method_id = payment_method_id or payment.payment_method_id
    if status in SETTLED_BADLY:
        payment.failure_reason = (failure_reason or _("The payment was not completed."))[:300]
    payment.save()
    if status in SETTLED_BADLY:
        purposes.payment_failed(payment)
    if status == PaymentStatus.SUCCEEDED:
        log_event(
            "payment_succeeded",
            tenant_id=str(payment.tenant_id),
            payment_id=str(payment.pk),
            provider=payment.provider,
            amount=payment.amount,
            currency=payment.currency,
        )
        purposes.payment_succeeded(payment)
        invoice_for_payment(payment)
    elif status == PaymentStatus.FAILED:
        log_event(
            "payment_failed",
            tenant_id=str(payment.tenant_id),
            payment_id=str(payment.pk),
            provider=payment.provider,
        )
    return payment


def _keep_method(payment: Payment, method_id: str) -> None:
    """A success seen first without the saved card (T-Bank's GetState on the payer's return
    has no RebillId; its notification does): keep the card once it arrives."""
    if payment.payment_method_id:
        return
    payment.payment_method_id = method_id
    payment.save(update_fields=["payment_method_id", "updated_at"])
    purposes.payment_method_saved(payment)


def payment_refresh(payment: Payment) -> Payment:
    """Ask the provider for the payment's status (the payer came back from its page) and
    apply it; the API's answer is authoritative, unlike a redirect's query string. A provider
    that does not answer leaves the payment as it is (the webhook will follow)."""
    if not gateways.capabilities(payment.provider).reports_status or not payment.provider_id:
        return payment
    if payment.status != PaymentStatus.PENDING:
        return payment
    try:
        result = gateways.get_gateway(payment.provider).fetch(payment.provider_id)
    except ProviderError:
        return payment
    return payment_apply_result(payment, result)


def payment_apply_result(payment: Payment, result: PaymentIntentResult) -> Payment:
    """`payment_apply_status` with what a provider call answered (status, card, amount, and
    the receipt's registration)."""
    receipt_status_keep(payment, result.receipt_status)
    return payment_apply_status(
        payment,
        result.status,
        raw=result.raw,
        payment_method_id=result.payment_method_id,
        failure_reason=result.failure_reason,
        reported=result.amount,
    )


def _amount_mismatch(payment: Payment, reported: Money, raw: dict | None) -> Payment:
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.NEEDS_REVIEW):
        return payment  # settled already: a late report changes nothing
    payment.status = PaymentStatus.NEEDS_REVIEW
    payment.raw = raw if raw is not None else payment.raw
    payment.failure_reason = (
        _("The provider reported %(reported)s for a payment of %(expected)s.")
        % {"reported": reported, "expected": payment.money}
    )[:300]
    payment.save()
    log_event(
        "payment_amount_mismatch",
        tenant_id=str(payment.tenant_id),
        payment_id=str(payment.pk),
        provider=payment.provider,
        amount=payment.amount,
        currency=payment.currency,
        reported_amount=reported.amount,
        reported_currency=reported.currency,
    )
    mail_admins(
        "Payment needs review: amount mismatch",
        f"Payment {payment.pk} ({payment.provider} {payment.provider_id}): the provider reported "
        f"{reported} for {payment.money}. Nothing was activated; see /admin/payments/payment/.",
        fail_silently=True,
    )
    return payment


def payment_sandbox_complete(
    *, payment: Payment, approve: bool, decline_later: bool = False
) -> Payment:
    """The sandbox test-card page's Approve / Decline; `decline_later` approves with a saved
    card that declines every later charge (renewals), so dunning can be tried offline."""
    if payment.provider != gateways.SANDBOX:
        raise ValidationFailed(_("This is not a test payment."), code="not_sandbox")
    if approve:
        return payment_apply_status(
            payment,
            PaymentStatus.SUCCEEDED,
            raw={**payment.raw, "sandbox": "approved"},
            payment_method_id=SandboxGateway.new_method_id(decline_later=decline_later),
        )
    return payment_apply_status(
        payment,
        PaymentStatus.FAILED,
        raw={**payment.raw, "sandbox": "declined"},
        failure_reason=_("Test card declined: insufficient funds."),
    )
