"""Accounting records outlive their company. When a company is deleted for good
(apps/privacy/services/closure.py), the seller still has to keep the invoices it issued and
the payments they record (402-FZ art. 29: at least 5 years after the reporting year; EU VAT
rules: up to 10). `tenant_records_retain` detaches them before the company's rows go:

- kept: every invoice and credit note (with its lines), the payments and refunds they
  reference, and every other payment or refund that moved money; attempts that moved none
  (pending, failed, canceled) are deleted with the company;
- detached: `tenant` becomes NULL, so no tenant's pages or API can see them (`for_tenant`
  never matches a NULL tenant); the staff console shows them;
- `retain_until`: 31 December of the year the record was made in, plus
  `BILLING_RECORDS_RETENTION_YEARS` (default 5);
- what accounting does not need is blanked: the buyer's e-mail on the invoice, the provider
  payloads (card masks, payer contacts), the receipt's e-mail and phone, the saved card, who
  started the payment; the buyer's legal name, tax id and address stay (they are the invoice).

`retained_records_purge` (beat, daily) deletes the records past their date.
"""

from __future__ import annotations

from datetime import date

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.payments.models import Invoice, Payment, PaymentEvent, PaymentStatus, Refund

logger = structlog.get_logger("fastlead.payments.retention")

# Payments whose money arrived (a review case too: the money is there, staff settle it).
MONEY_MOVED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.NEEDS_REVIEW)
# Buyer details that are a person's contact rather than the buyer's requisites.
BUYER_PERSONAL_KEYS = ("email",)
RECEIPT_PERSONAL_KEYS = ("email", "phone")


def retain_until_for(made_at) -> date:
    """The last day a record made at `made_at` is kept: the end of its reporting year plus
    the retention period."""
    year = timezone.localdate(made_at).year + settings.BILLING_RECORDS_RETENTION_YEARS
    return date(year, 12, 31)


def _without(data: dict, keys) -> dict:
    return {key: ("" if key in keys else value) for key, value in (data or {}).items()}


def tenant_records_retain(tenant_id) -> dict[str, int]:
    """Detach the company's accounting records (before its rows are deleted); returns how
    many invoices, payments and refunds are kept."""
    with transaction.atomic():
        invoices = list(Invoice.objects.unscoped().filter(tenant_id=tenant_id).select_for_update())
        invoiced_payments = {i.payment_id for i in invoices if i.payment_id}
        invoiced_refunds = {i.refund_id for i in invoices if i.refund_id}
        refunds = list(
            Refund.objects.unscoped()
            .filter(tenant_id=tenant_id)
            .filter(Q(pk__in=invoiced_refunds) | Q(status=PaymentStatus.SUCCEEDED))
            .select_for_update()
        )
        refunded_payments = {r.payment_id for r in refunds}
        payments = list(
            Payment.objects.unscoped()
            .filter(tenant_id=tenant_id)
            .filter(Q(pk__in=invoiced_payments | refunded_payments) | Q(status__in=MONEY_MOVED))
            .select_for_update()
        )
        for invoice in invoices:
            invoice.tenant = None
            invoice.retain_until = retain_until_for(invoice.issued_at)
            invoice.buyer = _without(invoice.buyer, BUYER_PERSONAL_KEYS)
        Invoice.objects.unscoped().bulk_update(invoices, ["tenant", "retain_until", "buyer"])
        for payment in payments:
            payment.tenant = None
            payment.retain_until = retain_until_for(payment.created_at)
            payment.receipt = _without(payment.receipt, RECEIPT_PERSONAL_KEYS)
            payment.raw = {}
            payment.payment_method_id = payment.confirmation_url = ""
            payment.created_by = None
        Payment.objects.unscoped().bulk_update(
            payments,
            [
                "tenant",
                "retain_until",
                "receipt",
                "raw",
                "payment_method_id",
                "confirmation_url",
                "created_by",
            ],
        )
        for refund in refunds:
            refund.tenant = None
            refund.retain_until = retain_until_for(refund.created_at)
            refund.receipt = _without(refund.receipt, RECEIPT_PERSONAL_KEYS)
            refund.raw = {}
        Refund.objects.unscoped().bulk_update(refunds, ["tenant", "retain_until", "receipt", "raw"])
        # The provider notifications of the company's payments keep their ids (a replay
        # still stops there), not their payloads.
        PaymentEvent.objects.filter(
            Q(payment__tenant_id=tenant_id) | Q(payment__in=[p.pk for p in payments])
        ).update(raw={})
    kept = {"invoices": len(invoices), "payments": len(payments), "refunds": len(refunds)}
    logger.info("billing_records_retained", tenant_id=str(tenant_id), **kept)
    return kept


def _retained(model):
    return model.objects.unscoped().filter(tenant__isnull=True)


def retained_records_purge(today: date | None = None) -> dict[str, int]:
    """Delete the kept records past their `retain_until` (beat, daily). A payment or refund
    an invoice still needs waits for it; rows of live companies are never touched."""
    today = today or timezone.localdate()
    expired = Q(retain_until__lt=today)
    with transaction.atomic():
        _total, invoices = _retained(Invoice).filter(expired).delete()
        _total, refunds = _retained(Refund).filter(expired, invoices__isnull=True).delete()
        _total, payments = (
            _retained(Payment).filter(expired, invoices__isnull=True, refunds__isnull=True).delete()
        )
    purged = {
        "invoices": invoices.get(Invoice._meta.label, 0),
        "payments": payments.get(Payment._meta.label, 0),
        "refunds": refunds.get(Refund._meta.label, 0),
    }
    if any(purged.values()):
        logger.info("billing_records_purged", **purged)
    return purged
