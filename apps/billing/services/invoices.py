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

Seller details come from settings (BILLING_SELLER_*), the buyer from the tenant's
`BillingAccount` (falling back to the company name); both are copied onto the invoice when it
is issued, so later edits never change an issued document.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing import selectors
from apps.billing.models import (
    BillingEventKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    Refund,
    UsageCharge,
)
from apps.billing.services.history import history_record
from apps.core.errors import Conflict
from apps.core.money import Money, format_money

LANGUAGES = ("ru", "en")
# Paid actions by `UsageCharge.kind`; an unknown kind is shown as it is.
USAGE_KIND_LABELS = {
    "enrichment": gettext_noop("AI enrichment"),
    "ai_enrichment": gettext_noop("AI enrichment"),
}


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
    """(buyer snapshot, invoice language) from the tenant's billing account."""
    account = selectors.billing_account_get(tenant)
    language = getattr(account, "invoice_language", "") or "ru"
    return (
        {
            "name": (account.legal_name if account else "") or tenant.name,
            "tax_id": account.tax_id if account else "",
            "address": account.billing_address if account else "",
            "email": account.billing_email if account else "",
            "company": tenant.name,
        },
        language if language in LANGUAGES else "ru",
    )


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
        lines, period = _payment_lines(payment, language)
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
        period_start=period[0],
        period_end=period[1],
        payment=payment,
        seller=seller_details(),
        buyer=buyer,
        language=language,
    )
    _save_lines(invoice, lines)
    UsageCharge.objects.for_tenant(tenant).filter(payment=payment, invoice__isnull=True).update(
        invoice=invoice
    )
    history_record(
        tenant,
        BillingEventKind.INVOICE_ISSUED,
        message=_("Invoice %(number)s issued") % {"number": invoice.number},
        money=invoice.money,
        invoice=invoice.number,
        payment=str(payment.pk),
    )
    return invoice


def _save_lines(invoice: Invoice, lines: list[tuple[str, int, int, int]]) -> None:
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=description[:300],
            quantity=quantity,
            unit_amount=unit_amount,
            amount=amount,
            position=position,
        )
        for position, (description, quantity, unit_amount, amount) in enumerate(lines)
    )


def _date(value: datetime) -> str:
    return f"{timezone.localtime(value):%d.%m.%Y}"


def _payment_lines(payment: Payment, language: str):
    """(lines as (description, quantity, unit amount, amount), (period start, period end)).
    The lines always add up to the payment's amount."""
    plan = payment.plan
    plan_name = plan.name_en if language == "en" else plan.name_ru
    if payment.kind in (PaymentKind.USAGE, PaymentKind.INVOICE):
        lines = _usage_lines(payment)
        if lines:
            return lines, (None, None)
        text = payment.description or _("Paid actions")
        return [(text, 1, payment.amount, payment.amount)], (None, None)
    start, end = _paid_period(payment)
    if payment.kind == PaymentKind.PRORATION:
        text = payment.description or _("Upgrade → %(plan)s, prorated") % {"plan": plan_name}
    else:
        text = _("Plan %(plan)s") % {"plan": plan_name}
        if start and end:
            text += f", {_date(start)}–{_date(end)}"
    return [(text, 1, payment.amount, payment.amount)], (start, end)


def _paid_period(payment: Payment) -> tuple[datetime | None, datetime | None]:
    """The period the payment paid for: a renewal names it, a purchase or an upgrade runs to
    the end of the subscription's current period."""
    if payment.kind == PaymentKind.RENEWAL or payment.period_start is not None:
        start = payment.period_start
        if start is None:
            return None, None
        return start, start + selectors.interval_delta(payment.plan.interval)
    subscription = payment.subscription
    if subscription is None:
        return None, None
    if payment.kind == PaymentKind.PRORATION:
        return timezone.now(), subscription.current_period_end
    return subscription.current_period_start, subscription.current_period_end


def _usage_lines(payment: Payment) -> list[tuple[str, int, int, int]]:
    charges = list(
        UsageCharge.objects.for_tenant(payment.tenant_id)
        .filter(payment=payment)
        .order_by("created_at", "pk")
    )
    if not charges or sum(c.amount for c in charges) != payment.amount:
        return []
    lines = []
    for charge in charges:
        label = USAGE_KIND_LABELS.get(charge.kind)
        label = _(label) if label else charge.kind
        text = _("%(action)s, %(count)s leads × %(price)s") % {
            "action": label,
            "count": charge.quantity,
            "price": format_money(charge.unit_amount, charge.currency),
        }
        lines.append((text, charge.quantity, charge.unit_amount, charge.amount))
    return lines


# --- credit notes -----------------------------------------------------------------------------


def credit_note_for_refund(refund: Refund) -> Invoice:
    """The credit note of a completed refund: a negative total, the original invoice's VAT
    rate, its number in the line. Idempotent: one credit note per refund."""
    existing = Invoice.objects.for_tenant(refund.tenant_id).filter(refund=refund).first()
    if existing is not None:
        return existing
    if refund.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        raise Conflict(_("Only a completed refund has a credit note."), "refund_not_completed")
    payment = Payment.objects.for_tenant(refund.tenant_id).select_related("tenant", "plan")
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
    _save_lines(note, [(text, 1, total, total)])
    history_record(
        tenant,
        BillingEventKind.INVOICE_ISSUED,
        message=_("Credit note %(number)s for invoice %(original)s")
        % {"number": note.number, "original": original.number},
        money=Money(total, refund.currency),
        invoice=note.number,
        original=original.number,
        refund=str(refund.pk),
    )
    return note
