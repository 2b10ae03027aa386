"""A paid action paid with the saved card: one provider call per payment (claimed), its
outcome recorded as the charge. The payment row was committed by the authorization before
(`usage_charges._decide`), so a retry reaches the same provider payment."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.errors import PaymentDeclined
from apps.billing.models import UsageCharge, UsageChargeMode, UsageChargeStatus
from apps.billing.services.usage_records import ChargeRequest, usage_charge_record
from apps.core.errors import ProviderError
from apps.core.events import log_event
from apps.payments.errors import ProviderUnavailable
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services.invoices import invoice_for_payment
from apps.payments.services.payments import (
    payment_apply_status,
    payment_charge_saved,
    payment_claim,
    payment_release,
    payment_result_keep,
)
from apps.tenants.scoping import tenant_scope


def usage_card_charge(tenant, payment: Payment, request: ChargeRequest) -> UsageCharge:
    """Charge the authorization's card payment; the charge (or the decline) is recorded."""
    payment = Payment.objects.for_tenant(tenant).get(pk=payment.pk)
    if payment.status == PaymentStatus.SUCCEEDED:  # confirmed meanwhile (webhook, last try)
        return _card_succeeded(tenant, payment, request, raw=payment.raw)
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        return _card_declined(tenant, payment, request, payment.failure_reason)
    if not payment_claim(payment):
        raise ProviderUnavailable(
            _("The payment for this action is being processed. Try again in a minute."),
            extra={"provider": payment.provider, "alternatives": []},
        )
    try:
        # A retry sends the same idempotency key: the provider answers with the payment it
        # already made instead of charging again.
        result = payment_charge_saved(payment)
    except ProviderError as exc:
        if exc.permanent:
            return _card_declined(tenant, payment, request, exc.user_message)
        payment_release(payment, failure_reason=exc.user_message[:300])
        log_event(
            "usage_charge_unavailable",
            tenant_id=str(tenant.pk),
            payment_id=str(payment.pk),
            provider=payment.provider,
        )
        raise ProviderUnavailable(
            exc.user_message, extra={"provider": payment.provider, "alternatives": []}
        ) from exc
    if result.provider_id and not payment.provider_id:
        payment_result_keep(payment, result)
    if result.status == PaymentStatus.SUCCEEDED:
        return _card_succeeded(tenant, payment, request, raw=result.raw)
    if result.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        return _card_declined(
            tenant, payment, request, result.failure_reason or _("The card was declined.")
        )
    # Still pending at the provider (e.g. its own checks): nothing is authorized yet; the
    # next call with the same key asks the provider again.
    payment_release(payment)
    raise ProviderUnavailable(
        _("The bank is still confirming the payment. Try again in a minute."),
        extra={"provider": payment.provider, "alternatives": []},
    )


def _card_succeeded(tenant, payment: Payment, request: ChargeRequest, *, raw: dict) -> UsageCharge:
    with tenant_scope(tenant), transaction.atomic():
        existing = UsageCharge.objects.for_tenant(tenant).filter(idempotency_key=request.key)
        charge = existing.first()
        if charge is None:
            # The charge exists before the payment turns succeeded, so the payment's invoice
            # (issued on success) has its lines.
            charge = usage_charge_record(
                tenant,
                request,
                UsageChargeMode.CARD,
                payment=payment,
                provider_ref=payment.provider_id or "",
            )
        payment_apply_status(payment, PaymentStatus.SUCCEEDED, raw=raw)
        Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(claimed_at=None)
        _invoice_link(payment)
    charge.refresh_from_db()
    return charge


def _invoice_link(payment: Payment) -> None:
    """The payment's invoice (issued by the success hook; asked for again here, which is
    idempotent, in case the hook does not cover usage payments) and its charges' link."""
    payment = Payment.objects.for_tenant(payment.tenant).get(pk=payment.pk)
    invoice = invoice_for_payment(payment)
    if invoice is not None:
        UsageCharge.objects.for_tenant(payment.tenant).filter(
            payment=payment, invoice__isnull=True
        ).update(invoice=invoice, updated_at=timezone.now())


def _card_declined(tenant, payment: Payment, request: ChargeRequest, reason: str) -> UsageCharge:
    reason = str(reason or _("The card was declined."))[:300]
    with tenant_scope(tenant), transaction.atomic():
        charge = UsageCharge.objects.for_tenant(tenant).filter(idempotency_key=request.key)
        if not charge.exists():
            usage_charge_record(
                tenant,
                request,
                UsageChargeMode.CARD,
                status=UsageChargeStatus.DECLINED,
                payment=payment,
                failure_reason=reason,
            )
        payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=reason)
        Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(claimed_at=None)
    raise PaymentDeclined(reason)
