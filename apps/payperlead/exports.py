"""Downloads of a report: CSV (streamed, every line) and PDF (fpdf2 with the DejaVu Sans font
shipped in apps/core/fonts, so Cyrillic renders on any machine)."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.pdf import FONTS, PDF_TYPE
from apps.payperlead import csv_export, presenters, selectors

CSV_TYPE = "text/csv; charset=utf-8"
# A PDF is for reading; past this many lines it points to the CSV for the rest.
PDF_MAX_LINES = 3000


def filename(tenant, period, customer=None, ext: str = "csv") -> str:
    who = customer.external_ref if customer is not None else "all-customers"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in who)[:60]
    return f"billing-{tenant.slug}-{period:%Y-%m}-{safe}.{ext}"


def csv_response(tenant, period, customer=None) -> StreamingHttpResponse:
    """Every stored line of one customer's report, or of every customer's, streamed in one
    pass and closed by a trailer row (csv_export.py says how a client knows the file is
    whole)."""
    response = StreamingHttpResponse(
        csv_export.csv_stream(tenant, period, customer), content_type=CSV_TYPE
    )
    name = filename(tenant, period, customer)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Trailer"] = csv_export.TRAILER
    return response


def pdf_response(tenant, report) -> HttpResponse:
    content = pdf_bytes(tenant, report)
    response = HttpResponse(content, content_type=PDF_TYPE)
    name = filename(tenant, report.period, report.customer, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def pdf_bytes(tenant, report) -> bytes:
    """One customer's report as a PDF: totals, products, then lines by lead."""
    leads = selectors.leads_by_id(tenant, {ln.lead_id for ln in report.lines or []})
    pdf = _ReportPDF(tenant, report)
    pdf.heading()
    pdf.totals()
    pdf.products()
    pdf.lines(presenters.lead_groups(report, leads))
    return bytes(pdf.output())


def _pdf_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=7)
            self.set_text_color(120)
            self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")

    return ReportPDF


class _ReportPDF:
    WIDTHS = (30, 46, 20, 22, 22, 22, 28)  # date, action, level, value, billed, saved, reason
    ALIGNS = "LLLRRRL"
    PRODUCT_WIDTHS = (56, 18, 28, 28, 28, 28)
    PRODUCT_ALIGNS = "LRRRRR"

    def __init__(self, tenant, report):
        self.tenant, self.report, self.record = tenant, report, report.record
        self.currency = self.record.currency
        pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
        pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.footer_text = f"{tenant.name} · {report.customer.name} · {report.period:%Y-%m}"
        pdf.set_margins(12, 12, 12)
        pdf.set_auto_page_break(True, margin=16)
        pdf.alias_nb_pages()
        pdf.add_page()
        pdf.set_title(_("Pay-per-lead report"))
        self.pdf = pdf

    def output(self):
        return self.pdf.output()

    def money(self, amount: int) -> str:
        return presenters.money(amount, self.currency)

    def heading(self) -> None:
        pdf, record, customer = self.pdf, self.record, self.report.customer
        pdf.set_font("DejaVu", "B", 15)
        pdf.cell(0, 8, _("Pay-per-lead report"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        status = (
            _("closed %(date)s — final") % {"date": f"{record.frozen_at:%Y-%m-%d}"}
            if record.frozen and record.frozen_at
            else _("open — preliminary, recomputed on request")
        )
        for label, value in (
            (_("Company"), self.tenant.name),
            (_("Customer"), f"{customer.name} ({customer.external_ref})"),
            (_("Period"), _("%(month)s, calendar month UTC") % {"month": f"{record.period:%Y-%m}"}),
            (_("Status"), status),
            (_("Computed"), f"{timezone.localtime(record.computed_at):%Y-%m-%d %H:%M %Z}"),
            (_("Currency"), self.currency),
        ):
            pdf.set_font("DejaVu", "B", 9)
            pdf.cell(32, 5, label)
            pdf.set_font("DejaVu", size=9)
            pdf.cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    def totals(self) -> None:
        pdf, record = self.pdf, self.record
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, _("Totals"), new_x="LMARGIN", new_y="NEXT")
        rows = [
            (_("Actions"), str(record.actions_count)),
            (_("Value of all actions"), self.money(record.gross)),
            (_("Billed"), self.money(record.billed)),
            (_("Saved: duplicates"), self.money(record.savings_duplicate)),
            (_("Saved: over the cap"), self.money(record.savings_cap)),
        ]
        if record.adjustments:
            rows.append(
                (
                    _("of which late actions of closed months"),
                    self.money(record.adjustments.get("billed", 0)),
                )
            )
        for label, value in rows:
            pdf.set_font("DejaVu", size=9)
            pdf.cell(70, 5, label)
            pdf.set_font("DejaVu", "B", 9)
            pdf.cell(40, 5, value, align="R", new_x="LMARGIN", new_y="NEXT")
        if record.default_card_lead_types:
            pdf.set_font("DejaVu", size=8)
            types = ", ".join(t or _("(none)") for t in record.default_card_lead_types)
            pdf.multi_cell(
                0,
                4,
                _("Lead types without a card of their own (default prices): %(types)s")
                % {"types": types},
                new_x="LMARGIN",
                new_y="NEXT",
            )
        if record.unpriced_count:
            pdf.set_font("DejaVu", size=8)
            pdf.multi_cell(
                0,
                4,
                _("%(count)s actions with an unknown engagement level were not billed.")
                % {"count": record.unpriced_count},
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.ln(3)

    def products(self) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, _("By product"), new_x="LMARGIN", new_y="NEXT")
        widths, aligns = self.PRODUCT_WIDTHS, self.PRODUCT_ALIGNS
        head = (_("Product"), _("Actions"), _("Value"), _("Billed"), _("Duplicates"), _("Cap"))
        self._row(widths, aligns, head, bold=True, fill=True)
        for item in self.record.products:
            name = item["product_ref"] or _("(no product)")
            self._row(
                widths,
                aligns,
                (
                    name,
                    str(item["actions_count"]),
                    self.money(item["gross"]),
                    self.money(item["billed"]),
                    self.money(item["savings_duplicate"]),
                    self.money(item["savings_cap"]),
                ),
            )
        pdf.ln(3)

    def lines(self, groups) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, _("Actions by lead"), new_x="LMARGIN", new_y="NEXT")
        head = (
            _("Time (UTC)"),
            _("Action"),
            _("Level"),
            _("Value"),
            _("Billed"),
            _("Saved"),
            _("Reason"),
        )
        shown = 0
        total = sum(len(g.lines) for g in groups)
        for group in groups:
            if shown >= PDF_MAX_LINES:
                break
            product = self.report.products.get(group.product_id)
            pdf.set_font("DejaVu", "B", 8)
            title = f"{group.label} · {product.external_ref if product else '—'} · "
            title += group.lead_type or _("(no lead type)")
            pdf.cell(130, 6, title[:90])
            pdf.cell(
                0,
                6,
                _("billed %(amount)s") % {"amount": self.money(group.billed)},
                align="R",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self._row(self.WIDTHS, self.ALIGNS, head, bold=True, fill=True, size=7)
            for line in group.lines:
                self._row(self.WIDTHS, self.ALIGNS, self._line_cells(line), size=7)
                shown += 1
        if shown < total:
            pdf.ln(2)
            pdf.set_font("DejaVu", size=8)
            pdf.multi_cell(
                0,
                4,
                _("%(count)s more lines are in the CSV download of this report.")
                % {"count": total - shown},
                new_x="LMARGIN",
                new_y="NEXT",
            )

    def _line_cells(self, line) -> tuple:
        reason = presenters.reason_label(line.reason)
        if line.duplicate_of:
            reason = _("duplicate of #%(id)s") % {"id": line.duplicate_of}
        if line.adjustment:
            reason += " · " + _("late")
        return (
            f"{line.occurred_at:%Y-%m-%d %H:%M}",
            line.action_type[:30],
            line.engagement,
            self.money(line.value),
            self.money(line.billed),
            self.money(line.savings),
            reason,
        )

    def _row(self, widths, aligns, cells, *, bold=False, fill=False, size=8) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_fill_color(235, 238, 245)
        for width, align, text in zip(widths, aligns, cells, strict=True):
            pdf.cell(width, 5, str(text), border="B", align=align, fill=fill)
        pdf.ln(5)
