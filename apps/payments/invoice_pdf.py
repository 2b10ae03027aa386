"""An invoice or credit note as a PDF, in Russian or English (fpdf2 with the DejaVu Sans font
bundled in `apps/core/fonts`, so Cyrillic renders on any machine).

The document is drawn from the invoice's own snapshots (seller, buyer, lines, totals), never
from today's settings, so a reprint is identical. Sandbox payments carry a "TEST" watermark.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core import private_files
from apps.core.money import format_money
from apps.core.pdf import FONTS, PDF_TYPE
from apps.payments.models import Invoice, InvoiceKind

LANGUAGES = ("ru", "en")


def invoice_language(invoice: Invoice, requested: str | None = None) -> str:
    """`?lang=` when it names a supported language, else the invoice's own language."""
    if requested in LANGUAGES:
        return requested
    return invoice.language if invoice.language in LANGUAGES else "ru"


def invoice_filename(invoice: Invoice, language: str) -> str:
    kind = "credit-note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "invoice"
    safe = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in invoice.number)
    return f"{kind}-{safe}-{language}.pdf"


def invoice_pdf_response(invoice: Invoice, language: str | None = None) -> HttpResponse:
    """The PDF as a download named after the invoice number and language. The document is
    drawn once per state (open, then paid, and the fiscal receipt's) and kept in the private
    file storage: what was issued is what every later download returns."""
    language = invoice_language(invoice, language)
    stored = _stored_name(invoice, language)
    if not private_files.exists(stored):
        private_files.save_bytes(stored, invoice_pdf_bytes(invoice, language))
    return private_files.download_response(
        stored, filename=invoice_filename(invoice, language), content_type=PDF_TYPE
    )


def _stored_name(invoice: Invoice, language: str) -> str:
    state = f"paid-{invoice.paid_at:%Y%m%dT%H%M%S}" if invoice.paid_at else "open"
    if invoice.fiscal_receipt_status:  # drawn again once the receipt is registered
        state += f"-receipt-{invoice.fiscal_receipt_status}"
    owner = invoice.tenant_id or "kept"  # a deleted company's invoice, drawn without its e-mail
    return f"invoices/{owner}/{invoice.pk}-{language}-{state}.pdf"


def invoice_pdfs_stored(tenant_id) -> list[str]:
    """The stored PDFs of the company's invoices (they print the buyer's e-mail): deleted
    with the company, a kept invoice is drawn again without it."""
    invoices = Invoice.objects.for_tenant(tenant_id).select_related("payment", "refund")
    return [_stored_name(i, language) for i in invoices for language in LANGUAGES]


def invoice_pdf_bytes(invoice: Invoice, language: str | None = None) -> bytes:
    language = invoice_language(invoice, language)
    with translation.override(language):
        document = _InvoicePDF(invoice)
        document.draw()
        return bytes(document.pdf.output())


def _is_test(invoice: Invoice) -> bool:
    payment = invoice.payment if invoice.payment_id else None
    return bool(payment and payment.is_test)


class _InvoicePDF:
    LINE_WIDTHS = (10, 90, 16, 32, 32)  # #, description, quantity, unit price, amount
    LINE_ALIGNS = "LLRRR"

    def __init__(self, invoice: Invoice):
        from fpdf import FPDF  # a heavy import, needed only when a PDF is drawn

        self.invoice = invoice
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_title(f"{self.title} {invoice.number}")
        pdf.set_author(invoice.seller.get("name", ""))
        pdf.set_creator("Fast Lead")
        pdf.add_page()
        self.pdf = pdf

    @property
    def title(self) -> str:
        if self.invoice.kind == InvoiceKind.CREDIT_NOTE:
            return _("Credit note")
        return _("Invoice")

    def money(self, amount: int) -> str:
        return format_money(amount, self.invoice.currency)

    def draw(self) -> None:
        if _is_test(self.invoice):
            self.watermark()
        self.heading()
        self.parties()
        self.lines()
        self.totals()
        self.payment()

    def watermark(self) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", 110)
        pdf.set_text_color(225, 228, 235)
        with pdf.rotation(35, x=105, y=160):
            pdf.text(45, 190, _("TEST"))
        pdf.set_text_color(0)
        pdf.set_xy(pdf.l_margin, pdf.t_margin)

    def heading(self) -> None:
        pdf, invoice = self.pdf, self.invoice
        pdf.set_font("DejaVu", "B", 16)
        title = _("%(kind)s No. %(number)s") % {"kind": self.title, "number": invoice.number}
        pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        rows = [(_("Issued"), _local(invoice.issued_at))]
        if invoice.paid_at:
            paid = _("Refunded") if invoice.kind == InvoiceKind.CREDIT_NOTE else _("Paid")
            rows.append((paid, _local(invoice.paid_at)))
        if invoice.period_start and invoice.period_end:
            period = f"{_day(invoice.period_start)} – {_day(invoice.period_end)}"
            rows.append((_("Period"), period))
        rows.append((_("Currency"), invoice.currency))
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            original = _original_number(invoice)
            if original:
                rows.append((_("Corrects invoice"), original))
        if _is_test(invoice):
            rows.append((_("Mode"), _("TEST payment in the sandbox: no money was charged.")))
        for label, value in rows:
            self._pair(label, value, 38)
        pdf.ln(4)

    def parties(self) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        width = (pdf.epw - 8) / 2
        self._party(_("Seller"), self.invoice.seller, pdf.l_margin, top, width)
        left_bottom = pdf.get_y()
        self._party(_("Buyer"), self.invoice.buyer, pdf.l_margin + width + 8, top, width)
        pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 4)

    def _party(self, heading: str, party: dict, x: float, y: float, width: float) -> None:
        pdf = self.pdf
        pdf.set_xy(x, y)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(width, 6, heading, align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(width, 5, party.get("name") or "—", align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        for label, key in (
            (_("Tax id"), "tax_id"),
            (_("Address"), "address"),
            (_("E-mail"), "email"),
            (_("Bank details"), "bank"),
        ):
            if party.get(key):
                text = f"{label}: {party[key]}"
                pdf.multi_cell(width, 5, text, align="L", new_x="LEFT", new_y="NEXT")

    def lines(self) -> None:
        head = ("#", _("Description"), _("Qty"), _("Unit price"), _("Amount"))
        self._row(head, bold=True, fill=True)
        for number, line in enumerate(self.invoice.lines.all(), start=1):
            self._row(
                (
                    str(number),
                    line.description,
                    str(line.quantity),
                    self.money(line.unit_amount),
                    self.money(line.amount),
                )
            )
        self.pdf.ln(3)

    def totals(self) -> None:
        invoice = self.invoice
        label_width = sum(self.LINE_WIDTHS[:4])
        if invoice.vat_rate_bp:
            rate = _percent(invoice.vat_rate_bp)
            self._total(_("Total without VAT"), self.money(invoice.subtotal), label_width)
            self._total(
                _("VAT %(rate)s %% (included)") % {"rate": rate},
                self.money(invoice.vat_amount),
                label_width,
            )
        else:
            self._total(_("VAT not applicable"), "—", label_width)
        self._total(_("Total"), self.money(invoice.total), label_width, bold=True)
        self.pdf.ln(4)

    def payment(self) -> None:
        pdf, invoice = self.pdf, self.invoice
        payment = invoice.payment if invoice.payment_id else None
        pdf.set_font("DejaVu", size=9)
        if payment is not None:
            reference = payment.provider_id or str(payment.pk)
            self._pair(_("Payment"), f"{payment.provider} · {reference}", 38)
            self._pair(_("Payment id"), str(payment.pk), 38)
        if invoice.refund_id:
            self._pair(_("Refund id"), str(invoice.refund_id), 38)
        if invoice.fiscal_receipt_status:
            self._pair(_("Fiscal receipt"), invoice.fiscal_receipt_label, 38)
        pdf.ln(3)
        pdf.set_font("DejaVu", size=8)
        pdf.set_text_color(90)
        note = (
            _("The amount was returned to the payer; this note corrects the invoice.")
            if invoice.kind == InvoiceKind.CREDIT_NOTE
            else _("Paid in full. This invoice needs no signature.")
        )
        pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)

    def _pair(self, label: str, value: str, label_width: float) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(label_width, 5, label)
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(0, 5, value, align="L", new_x="LMARGIN", new_y="NEXT")

    def _total(self, label: str, value: str, label_width: float, *, bold=False) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B" if bold else "", 10 if bold else 9)
        pdf.cell(label_width, 6, label, align="R")
        pdf.cell(self.LINE_WIDTHS[4], 6, value, align="R", new_x="LMARGIN", new_y="NEXT")

    def _row(self, cells, *, bold=False, fill=False) -> None:
        """One table row; any cell may wrap (a long description, or a header such as
        "Цена за единицу"), and the row takes the height of its tallest cell."""
        pdf = self.pdf
        pdf.set_font("DejaVu", "B" if bold else "", 9)
        height = 5 * self._row_lines(cells) + 2
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        x, y = pdf.l_margin, pdf.get_y()
        width = sum(self.LINE_WIDTHS)
        if fill:
            pdf.set_fill_color(235, 238, 245)
            pdf.rect(x, y, width, height, style="F")
        for cell_width, align, text in zip(self.LINE_WIDTHS, self.LINE_ALIGNS, cells, strict=True):
            pdf.set_xy(x, y + 1)
            pdf.multi_cell(cell_width, 5, text, align=align, new_x="RIGHT", new_y="TOP")
            x += cell_width
        pdf.set_draw_color(200, 204, 212)
        pdf.line(pdf.l_margin, y + height, pdf.l_margin + width, y + height)
        pdf.set_xy(pdf.l_margin, y + height)

    def _row_lines(self, cells) -> int:
        """The number of lines of the row's tallest cell (in the current font)."""
        lines = 1
        for cell_width, text in zip(self.LINE_WIDTHS, cells, strict=True):
            wrapped = self.pdf.multi_cell(cell_width, 5, text, dry_run=True, output="LINES")
            lines = max(lines, len(wrapped))
        return lines


def _original_number(invoice: Invoice) -> str:
    if not invoice.payment_id:
        return ""
    # A kept invoice of a deleted company (no tenant) is corrected by one kept with it.
    invoices = (
        Invoice.objects.for_tenant(invoice.tenant_id)
        if invoice.tenant_id is not None
        else Invoice.objects.unscoped().filter(tenant__isnull=True)
    )
    return (
        invoices.filter(
            payment_id=invoice.payment_id, kind=InvoiceKind.INVOICE, refund__isnull=True
        )
        .values_list("number", flat=True)
        .first()
        or ""
    )


def _local(value) -> str:
    return f"{timezone.localtime(value):%d.%m.%Y %H:%M %Z}"


def _day(value) -> str:
    return f"{timezone.localtime(value):%d.%m.%Y}"


def _percent(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return str(whole) if not rest else f"{whole}.{rest:02d}".rstrip("0")
