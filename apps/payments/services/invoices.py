"""Invoices: one PAID invoice per successful payment, one credit note per refund.

Numbering. Invoices and credit notes share one sequence per currency, 1, 2, 3 … without gaps
or repeats, whatever the year: the `InvoiceSequence` row of the currency is locked
(SELECT … FOR UPDATE) while an invoice takes the next number and inserts itself in the same
transaction, so a rollback gives the number back and two workers queue instead of colliding.
The number reads `<prefix>-<currency>-<year of issue>-<sequence, 6 digits>`, e.g.
"FL-RUB-2026-000042" (prefix: BILLING_INVOICE_PREFIX); the year is there for people only — the
sequence does not restart in January.

VAT. Prices are gross: the VAT is included in what the tenant paid, never added on top.
With a rate r in basis points (BILLING_VAT_RATE_BP, 2000 = 20 %) the VAT extracted from a total
T is T × r / (10000 + r), rounded half-up to minor units (away from zero for credit notes), and
the subtotal is T − VAT. A rate of 0 means "VAT not applicable" (no VAT line). A credit note
uses the rate of the invoice it corrects, not today's.

Seller details come from settings (BILLING_SELLER_*), the buyer from the hook billing
registers (`apps.payments.invoicing`: the tenant's billing account, else the company name);
both are copied onto the invoice when it is issued, so later edits never change an issued
document. The lines come from the payment's purpose (`purposes.register(..., invoice_lines=)`);
a purpose without them gets one line with the payment's description.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.errors import Conflict
from apps.payments import invoicing, purposes
from apps.payments.invoicing import InvoiceDraft, InvoiceLineDraft
from apps.payments.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Refund,
)

LANGUAGES = ("ru", "en")


# --- numbers and VAT ------------------------------------------------------------------------


def vat_extract(total: int, rate_bp: int) -> int:
    """The VAT inside a gross `total` (minor units), rounded half-up away from zero."""
    if rate_bp <= 0 or total == 0:
        return 0
    sign = -1 if total < 0 else 1
    denominator = 10000 + rate_bp
    return sign * ((2 * abs(total) * rate_bp + denominator) // (2 * denominator))


def invoice_number(currency: str, sequence: int, issued_at: datetime) -> str:
    prefix = settings.BILLING_INVOICE_PREFIX
    return f"{prefix}-{currency}-{timezone.localtime(issued_at):%Y}-{sequence:06d}"


def _next_sequence(currency: str) -> int:
    """Take the next number of `currency`; the caller's transaction holds the row lock."""
    InvoiceSequence.objects.get_or_create(currency=currency)
    row = InvoiceSequence.objects.select_for_update().get(currency=currency)
    row.last_number += 1
    row.save(update_fields=["last_number"])
    return row.last_number


# --- parties ----------------------------------------------------------------------------------


def seller_details() -> dict:
    return {
        "name": settings.BILLING_SELLER_NAME,
        "tax_id": settings.BILLING_SELLER_TAX_ID,
        "address": settings.BILLING_SELLER_ADDRESS,
        "email": settings.BILLING_SELLER_EMAIL,
        "bank": settings.BILLING_SELLER_BANK,
    }


def buyer_details(tenant) -> tuple[dict, str]:
    """(buyer snapshot, invoice language) as the selling app describes the tenant."""
    buyer = invoicing.buyer_for(tenant)
    language = buyer.language if buyer.language in LANGUAGES else "ru"
    return dict(buyer.details), language


# --- invoices ---------------------------------------------------------------------------------


def _existing_invoice(payment: Payment) -> Invoice | None:
    return (
        Invoice.objects.for_tenant(payment.tenant_id)
        .filter(payment=payment, kind=InvoiceKind.INVOICE, refund__isnull=True)
        .first()
    )


def invoice_for_payment(payment: Payment) -> Invoice:
    """The PAID invoice of a successful payment, issued on the first call; later calls (and a
    concurrent one, stopped by the unique constraint) return the same invoice."""
    existing = _existing_invoice(payment)
    if existing is not None:
        return existing
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        raise Conflict(_("Only a successful payment has an invoice."), "payment_not_paid")
    try:
        with transaction.atomic():
            return _issue_invoice(payment)
    except IntegrityError:
        existing = _existing_invoice(payment)
        if existing is None:
            raise
        return existing


def _issue_invoice(payment: Payment) -> Invoice:
    tenant = payment.tenant
    buyer, language = buyer_details(tenant)
    now = timezone.now()
    sequence = _next_sequence(payment.currency)
    # Another transaction may have issued it while we waited for the sequence lock.
    existing = _existing_invoice(payment)
    if existing is not None:
        transaction.set_rollback(True)
        return existing
    with translation.override(language):
        draft = payment_invoice_draft(payment, language)
    rate = settings.BILLING_VAT_RATE_BP
    vat = vat_extract(payment.amount, rate)
    invoice = Invoice.objects.create(
        tenant=tenant,
        number=invoice_number(payment.currency, sequence, now),
        sequence=sequence,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.PAID,
        currency=payment.currency,
        subtotal=payment.amount - vat,
        vat_rate_bp=rate,
        vat_amount=vat,
        total=payment.amount,
        issued_at=now,
        paid_at=now,
        period_start=draft.period_start,
        period_end=draft.period_end,
        payment=payment,
        seller=seller_details(),
        buyer=buyer,
        language=language,
    )
    _save_lines(invoice, draft.lines)
    invoicing.issued(invoice)
    return invoice


def _save_lines(invoice: Invoice, lines: list[InvoiceLineDraft]) -> None:
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=line.description[:300],
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            amount=line.amount,
            position=position,
        )
        for position, line in enumerate(lines)
    )


def payment_invoice_draft(payment: Payment, language: str) -> InvoiceDraft:
    """The purpose's lines and period; they always add up to the payment's amount."""
    make = purposes.handlers(payment.kind).invoice_lines
    draft = make(payment, language) if make is not None else None
    if draft is None or sum(line.amount for line in draft.lines) != payment.amount:
        text = payment.description or _("Payment")
        line = InvoiceLineDraft(text, 1, payment.amount, payment.amount)
        return InvoiceDraft(
            lines=[line],
            period_start=draft.period_start if draft else None,
            period_end=draft.period_end if draft else None,
        )
    return draft


# --- credit notes -----------------------------------------------------------------------------


def credit_note_for_refund(refund: Refund) -> Invoice:
    """The credit note of a completed refund: a negative total, the original invoice's VAT
    rate, its number in the line. Idempotent: one credit note per refund."""
    existing = Invoice.objects.for_tenant(refund.tenant_id).filter(refund=refund).first()
    if existing is not None:
        return existing
    if refund.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        raise Conflict(_("Only a completed refund has a credit note."), "refund_not_completed")
    payment = Payment.objects.for_tenant(refund.tenant_id).select_related("tenant")
    original = invoice_for_payment(payment.get(pk=refund.payment_id))
    try:
        with transaction.atomic():
            return _issue_credit_note(refund, original)
    except IntegrityError:
        existing = Invoice.objects.for_tenant(refund.tenant_id).filter(refund=refund).first()
        if existing is None:
            raise
        return existing


def _issue_credit_note(refund: Refund, original: Invoice) -> Invoice:
    tenant = original.tenant
    now = timezone.now()
    sequence = _next_sequence(refund.currency)
    existing = Invoice.objects.for_tenant(tenant).filter(refund=refund).first()
    if existing is not None:
        transaction.set_rollback(True)
        return existing
    total = -refund.amount
    vat = vat_extract(total, original.vat_rate_bp)
    with translation.override(original.language):
        text = _("Refund for invoice %(number)s") % {"number": original.number}
        if refund.reason:
            text += f": {refund.reason}"
    note = Invoice.objects.create(
        tenant=tenant,
        number=invoice_number(refund.currency, sequence, now),
        sequence=sequence,
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.PAID,
        currency=refund.currency,
        subtotal=total - vat,
        vat_rate_bp=original.vat_rate_bp,
        vat_amount=vat,
        total=total,
        issued_at=now,
        paid_at=now,
        period_start=original.period_start,
        period_end=original.period_end,
        payment_id=refund.payment_id,
        refund=refund,
        seller=seller_details(),
        buyer=buyer_details(tenant)[0],
        language=original.language,
    )
    _save_lines(note, [InvoiceLineDraft(text, 1, total, total)])
    invoicing.issued(note, original)
    return note
