"""The invoices page and an invoice's PDF (routed under billing's URLs and names).

Who sees them: every member from the analyst role up (analysts are the read-only finance and
reporting role). Another company's invoice answers 404.
"""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from apps.core.money import Money
from apps.payments import selectors
from apps.payments.invoice_pdf import invoice_pdf_response
from apps.payments.models import Invoice
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role

PER_PAGE = 25


@dashboard_view(Role.ANALYST)
def invoice_list(request, tenant_slug):
    page = Paginator(selectors.invoice_list(request.tenant), PER_PAGE).get_page(
        request.GET.get("page")
    )
    for invoice in page:
        invoice.vat_amount_decimal = Money(invoice.vat_amount, invoice.currency).to_decimal()
    return render(request, "billing/invoices.html", {"page": page})


@dashboard_view(Role.ANALYST)
def invoice_pdf(request, tenant_slug, invoice_id):
    """The invoice as a PDF download, in its language or in `?lang=ru|en`."""
    try:
        invoice = selectors.invoice_get(request.tenant, invoice_id)
    except (Invoice.DoesNotExist, ValidationError) as exc:
        raise Http404 from exc
    return invoice_pdf_response(invoice, request.GET.get("lang"))
