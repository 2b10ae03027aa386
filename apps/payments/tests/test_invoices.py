"""Invoices and credit notes: issued on payment success, numbered without gaps per currency,
VAT extracted from gross prices, seller/buyer snapshots, PDFs in Russian and English."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from apps.billing import services
from apps.billing.models import BillingAccount, BillingEvent, Subscription, UsageCharge
from apps.billing.tests.helpers import plan, start_trial, subscribe
from apps.core.errors import Conflict
from apps.core.money import Money
from apps.payments.invoice_pdf import _InvoicePDF, invoice_filename, invoice_pdf_bytes
from apps.payments.models import (
    Invoice,
    InvoiceSequence,
    Payment,
    PaymentKind,
    PaymentStatus,
    Refund,
)
from apps.payments.services import payments as payment_steps
from apps.payments.services.invoices import (
    credit_note_for_refund,
    invoice_for_payment,
    vat_extract,
)
from apps.payments.services.refunds import payment_refund
from apps.payments.tests.pdf_text import pdf_text, pdf_title
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seller(settings):
    settings.BILLING_VAT_RATE_BP = 0
    settings.BILLING_INVOICE_PREFIX = "FL"
    settings.BILLING_SELLER_NAME = "ООО «Фаст Лид»"
    settings.BILLING_SELLER_TAX_ID = "7700000000"
    settings.BILLING_SELLER_ADDRESS = "Москва, ул. Тверская, 1"
    settings.BILLING_SELLER_EMAIL = "billing@fastlead.test"
    settings.BILLING_SELLER_BANK = ""
    return settings


def paid(tenant, code="pro", *, approve=True) -> Payment:
    """A sandbox payment for `code`, approved (or declined) on the test-card page."""
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan(code))
        payment_steps.payment_sandbox_complete(payment=payment, approve=approve)
    payment.refresh_from_db()
    return payment


def invoices(tenant):
    return list(Invoice.objects.for_tenant(tenant).order_by("sequence"))


# --- issuing ----------------------------------------------------------------------------------


def test_a_successful_payment_gets_a_paid_invoice_for_its_period(tenant):
    # given a trial tenant
    start_trial(tenant)
    # when it pays for Pro in the sandbox
    payment = paid(tenant)
    # then one paid invoice holds the payment's amount and the period it opened
    (invoice,) = invoices(tenant)
    subscription = Subscription.objects.for_tenant(tenant).get(plan__code="pro")
    assert invoice.payment_id == payment.pk and invoice.kind == "invoice"
    assert invoice.status == "paid" and invoice.paid_at is not None
    assert invoice.number == f"FL-RUB-{timezone.localtime():%Y}-000001"
    assert (invoice.total, invoice.subtotal, invoice.vat_amount) == (999000, 999000, 0)
    assert invoice.period_start == subscription.current_period_start
    assert invoice.period_end == subscription.current_period_end
    (line,) = invoice.lines.all()
    start = f"{timezone.localtime(subscription.current_period_start):%d.%m.%Y}"
    end = f"{timezone.localtime(subscription.current_period_end):%d.%m.%Y}"
    assert line.description.endswith(f"Про, {start}–{end}")
    assert (line.quantity, line.unit_amount, line.amount) == (1, 999000, 999000)
    event = BillingEvent.objects.for_tenant(tenant).get(kind="invoice_issued")
    assert event.data["invoice"] == invoice.number and event.amount == 999000


def test_a_declined_payment_gets_no_invoice(tenant):
    start_trial(tenant)
    paid(tenant, approve=False)
    assert invoices(tenant) == []


def test_invoice_for_payment_is_idempotent_and_replays_issue_nothing(tenant):
    # given a paid invoice
    payment = paid(tenant)
    first = invoice_for_payment(payment)
    # when the success is replayed and the invoice asked for again
    with tenant_scope(tenant):
        payment_steps.payment_apply_status(payment, PaymentStatus.SUCCEEDED)
    again = invoice_for_payment(payment)
    # then there is still one invoice and the sequence did not move
    assert again.pk == first.pk
    assert len(invoices(tenant)) == 1
    assert InvoiceSequence.objects.get(currency="RUB").last_number == 1


def test_only_a_successful_payment_has_an_invoice(tenant):
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
    with pytest.raises(Conflict) as info:
        invoice_for_payment(payment)
    assert info.value.code == "payment_not_paid"


def test_numbers_are_sequential_per_currency_across_tenants(tenant, other_tenant):
    # given payments of three tenants in RUB (one paid plan each) and one invoice in EUR

    paid(tenant, "start")
    paid(other_tenant, "start")
    paid(TenantFactory(name="Third Co"), "pro")
    eur = _payment_in(tenant, "EUR", 2500)
    # then RUB counts 1, 2, 3 and EUR starts at 1
    rub = Invoice.objects.unscoped().filter(currency="RUB").order_by("sequence")
    assert [i.sequence for i in rub] == [1, 2, 3]
    assert [i.number[-6:] for i in rub] == ["000001", "000002", "000003"]
    assert invoice_for_payment(eur).number == f"FL-EUR-{timezone.localtime():%Y}-000001"


def test_a_rolled_back_invoice_gives_its_number_back(tenant):
    # given a payment whose invoice is issued in a transaction that then fails
    payment = _payment_in(tenant, "RUB", 1000)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_for_payment(payment)
        raise RuntimeError("the payment's transaction failed after the invoice")
    # when the invoice is issued again
    invoice = invoice_for_payment(payment)
    # then it takes number 1: no gap
    assert invoice.sequence == 1
    assert InvoiceSequence.objects.get(currency="RUB").last_number == 1


def _payment_in(tenant, currency: str, amount: int, **fields) -> Payment:
    """A succeeded payment written directly (no gateway): for numbering and line tests."""
    payment = Payment.objects.create(
        tenant=tenant,
        plan=plan("pro"),
        amount=amount,
        currency=currency,
        provider=fields.pop("provider", "sandbox"),
        is_test=fields.pop("is_test", True),
        idempotency_key=f"test-{Payment.objects.unscoped().count()}-{currency}",
        status=PaymentStatus.SUCCEEDED,
        **fields,
    )
    return payment


# --- VAT --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "rate", "vat"),
    [
        (999000, 2000, 166500),  # 9,990.00 incl. 20 % VAT = 1,665.00
        (12000, 2000, 2000),
        (3, 2000, 1),  # 0.5 rounds half-up
        (2, 2000, 0),  # 0.333…
        (-3, 2000, -1),  # credit notes mirror the rounding
        (10000, 1000, 909),  # 10 %: 909.09…
        (999000, 0, 0),
    ],
)
def test_vat_is_extracted_from_the_gross_price_half_up(total, rate, vat):
    assert vat_extract(total, rate) == vat


def test_invoice_with_vat_splits_the_total_and_the_pdf_shows_the_vat_line(tenant, settings):
    settings.BILLING_VAT_RATE_BP = 2000
    payment = paid(tenant)
    invoice = invoice_for_payment(payment)
    assert (invoice.vat_rate_bp, invoice.vat_amount, invoice.subtotal) == (2000, 166500, 832500)
    assert invoice.subtotal + invoice.vat_amount == invoice.total
    text = pdf_text(invoice_pdf_bytes(invoice, "en"))
    assert "VAT 20 % (included)" in text and "1,665.00 RUB" in text
    assert "8,325.00 RUB" in text and "VAT not applicable" not in text


def test_without_vat_the_pdf_says_vat_not_applicable(tenant):
    invoice = invoice_for_payment(paid(tenant))
    assert invoice.vat_amount == 0 and invoice.vat_rate_bp == 0
    text = pdf_text(invoice_pdf_bytes(invoice, "en"))
    assert "VAT not applicable" in text and "(included)" not in text


# --- seller, buyer, language ------------------------------------------------------------------


def test_seller_and_buyer_are_snapshots_from_settings_and_the_billing_account(tenant, settings):
    # given a billing account with the buyer's details, invoices in English
    start_trial(tenant)
    BillingAccount.objects.for_tenant(tenant).update(
        legal_name="Acme LLC",
        tax_id="7701234567",
        billing_address="1 Main St",
        billing_email="ap@acme.test",
        invoice_language="en",
    )
    invoice = invoice_for_payment(paid(tenant))
    # when the details change after the invoice
    BillingAccount.objects.for_tenant(tenant).update(legal_name="Renamed LLC")
    settings.BILLING_SELLER_NAME = "Someone else"
    invoice.refresh_from_db()
    # then the invoice keeps what held when it was issued
    assert invoice.language == "en"
    assert invoice.buyer["name"] == "Acme LLC" and invoice.buyer["tax_id"] == "7701234567"
    assert invoice.seller["name"] == "ООО «Фаст Лид»" and invoice.seller["tax_id"] == "7700000000"
    text = pdf_text(invoice_pdf_bytes(invoice))
    assert "Acme LLC" in text and "Renamed LLC" not in text
    assert "ООО «Фаст Лид»" in text and "Tax id: 7700000000" in text
    assert "E-mail: ap@acme.test" in text and "Address: 1 Main St" in text
    assert "Plan Pro," in text  # the line in the invoice's language


def test_buyer_falls_back_to_the_company_name(tenant):
    invoice = invoice_for_payment(paid(tenant))
    assert invoice.buyer["name"] == "Acme" and invoice.language == "ru"


# --- lines of each kind of payment ------------------------------------------------------------


def test_renewal_invoice_names_the_period_it_paid_for(tenant):
    # given a due subscription on a saved sandbox card
    now = timezone.now()
    subscription = subscribe(
        tenant, "pro", period_start=now - timedelta(days=31), period_end=now - timedelta(hours=1)
    )
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id="sandbox_card_1"
    )
    # when it is charged for the next period
    outcome = services.subscription_charge(subscription_id=subscription.pk, request_id="r-1")
    # then its invoice runs from the old period end for one month
    invoice = Invoice.objects.for_tenant(tenant).get(payment=outcome.payment)
    subscription.refresh_from_db()
    assert invoice.period_start == outcome.payment.period_start == subscription.current_period_start
    assert invoice.period_end == subscription.current_period_end
    assert f"{timezone.localtime(invoice.period_end):%d.%m.%Y}" in invoice.lines.get().description


def test_proration_invoice_uses_the_upgrade_description(tenant):
    subscription = subscribe(tenant, "start")
    payment = _payment_in(
        tenant,
        "RUB",
        166600,
        kind=PaymentKind.PRORATION,
        subscription=subscription,
        description="Upgrade Start → Pro, prorated to 23.12.2026",
    )
    invoice = invoice_for_payment(payment)
    (line,) = invoice.lines.all()
    assert line.description == "Upgrade Start → Pro, prorated to 23.12.2026"
    assert line.amount == invoice.total == 166600
    assert invoice.period_end == subscription.current_period_end


def test_usage_invoice_has_a_line_per_charge_and_links_them(tenant):
    # given a card payment of two paid actions, invoices in English
    start_trial(tenant)
    BillingAccount.objects.for_tenant(tenant).update(invoice_language="en")
    payment = _payment_in(tenant, "RUB", 250000, kind=PaymentKind.USAGE, description="AI")
    Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(status=PaymentStatus.PENDING)
    payment.refresh_from_db()
    for n, (quantity, unit) in enumerate([(200, 1000), (50, 1000)]):
        UsageCharge.objects.create(
            tenant=tenant,
            kind="enrichment",
            reference=f"run-{n}",
            quantity=quantity,
            unit_amount=unit,
            amount=quantity * unit,
            currency="RUB",
            mode="card",
            status="authorized",
            idempotency_key=f"charge-{n}",
            payment=payment,
        )
    # when the payment succeeds
    with tenant_scope(tenant):
        payment_steps.payment_apply_status(payment, PaymentStatus.SUCCEEDED)
    # then each charge is a line of the invoice, and points at it
    invoice = Invoice.objects.for_tenant(tenant).get(payment=payment)
    lines = [(ln.description, ln.quantity, ln.unit_amount, ln.amount) for ln in invoice.lines.all()]
    assert lines == [
        ("AI enrichment, 200 leads × 10.00 RUB", 200, 1000, 200000),
        ("AI enrichment, 50 leads × 10.00 RUB", 50, 1000, 50000),
    ]
    assert invoice.total == 250000 and invoice.period_start is None
    assert set(UsageCharge.objects.for_tenant(tenant).values_list("invoice", flat=True)) == {
        invoice.pk
    }


def test_usage_payment_without_matching_charges_is_one_line_of_its_description(tenant):
    payment = _payment_in(tenant, "RUB", 5000, kind=PaymentKind.USAGE, description="Extra")
    (line,) = invoice_for_payment(payment).lines.all()
    assert (line.description, line.amount) == ("Extra", 5000)


# --- credit notes -----------------------------------------------------------------------------


def _refund(payment: Payment, amount: int, key: str, status=PaymentStatus.SUCCEEDED) -> Refund:
    return Refund.objects.create(
        tenant_id=payment.tenant_id,
        payment=payment,
        amount=amount,
        currency=payment.currency,
        reason="Charged twice",
        idempotency_key=key,
        status=status,
    )


def test_a_refund_gets_a_negative_credit_note_referencing_the_invoice(tenant, settings):
    # given a paid invoice with VAT
    settings.BILLING_VAT_RATE_BP = 2000
    payment = paid(tenant)
    original = invoice_for_payment(payment)
    # when part of it is refunded (and the rate changes meanwhile)
    settings.BILLING_VAT_RATE_BP = 1000
    note = credit_note_for_refund(_refund(payment, 300000, "r1"))
    # then the credit note is negative, keeps the original rate and names the invoice
    assert note.kind == "credit_note" and note.status == "paid"
    assert (note.total, note.vat_amount, note.subtotal) == (-300000, -50000, -250000)
    assert note.vat_rate_bp == 2000 and note.sequence == original.sequence + 1
    assert note.payment_id == payment.pk and note.refund.reason == "Charged twice"
    assert original.number in note.lines.get().description
    assert note.lines.get().amount == -300000
    text = pdf_text(invoice_pdf_bytes(note, "en"))
    assert f"Credit note No. {note.number}" in text
    assert original.number in text and "-3,000.00 RUB" in text


def test_credit_note_is_idempotent_and_needs_a_completed_refund(tenant):
    payment = paid(tenant)
    refund = _refund(payment, 1000, "r1")
    assert credit_note_for_refund(refund).pk == credit_note_for_refund(refund).pk
    assert Invoice.objects.for_tenant(tenant).filter(kind="credit_note").count() == 1
    with pytest.raises(Conflict) as info:
        credit_note_for_refund(_refund(payment, 1000, "r2", status=PaymentStatus.PENDING))
    assert info.value.code == "refund_not_completed"


def test_payment_refund_issues_the_credit_note(tenant):
    payment = paid(tenant)
    with tenant_scope(tenant):
        refund = payment_refund(
            payment=payment,
            money=Money(999000, "RUB"),
            reason="Customer asked",
            idempotency_key="refund-all",
        )
    note = Invoice.objects.for_tenant(tenant).get(refund=refund)
    assert note.total == -999000
    assert sum(Invoice.objects.for_tenant(tenant).values_list("total", flat=True)) == 0


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_in_russian_and_english_with_test_watermark_for_sandbox(tenant):
    invoice = invoice_for_payment(paid(tenant))
    for language in ("ru", "en"):
        data = invoice_pdf_bytes(invoice, language)
        assert data.startswith(b"%PDF")
        text = pdf_text(data)
        assert invoice.number in text and invoice.number in pdf_title(data)
        with translation.override(language):
            assert translation.gettext("TEST") in text.splitlines()  # the watermark
            assert translation.gettext("Description") in text
    assert "9 990,00 RUB" in pdf_text(invoice_pdf_bytes(invoice, "ru"))
    assert "9,990.00 RUB" in pdf_text(invoice_pdf_bytes(invoice, "en"))
    assert invoice_filename(invoice, "en") == f"invoice-{invoice.number}-en.pdf"


def test_pdf_of_a_real_payment_has_no_test_watermark(tenant):
    payment = _payment_in(
        tenant, "RUB", 499000, provider="yookassa", is_test=False, provider_id="2d1e-yk"
    )
    text = pdf_text(invoice_pdf_bytes(invoice_for_payment(payment), "en"))
    assert "TEST" not in text.splitlines()
    assert "yookassa · 2d1e-yk" in text


def test_invoices_of_other_tenants_are_not_mixed(tenant):
    other = TenantFactory()
    mine, theirs = invoice_for_payment(paid(tenant)), invoice_for_payment(paid(other))
    assert invoices(tenant) == [mine] and invoices(other) == [theirs]


def test_a_wrapping_header_makes_its_row_taller_so_nothing_overlaps(tenant):
    # "Цена за единицу" does not fit its column on one line: the header row is as tall as
    # its tallest cell, and the first line starts below it (it used to be drawn over it)

    invoice = invoice_for_payment(paid(tenant))
    with translation.override("ru"):
        document = _InvoicePDF(invoice)
        pdf = document.pdf
        head = ("#", "Описание", "Кол-во", translation.gettext("Unit price"), "Сумма")
        pdf.set_font("DejaVu", "B", 9)
        lines = document._row_lines(head)
        top = pdf.get_y()
        document._row(head, bold=True, fill=True)
    assert lines >= 2  # the unit-price header wraps
    assert pdf.get_y() - top == 5 * lines + 2
