"""The invoices page, an invoice's PDF and the payment history page.

Who sees them: every member from the analyst role up (analysts are the read-only finance and
reporting role; the billing page already shows payments to them). Paying and changing the
plan stay admin-only. Another company's invoice answers 404.
"""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from apps.billing import selectors
from apps.billing.invoice_pdf import invoice_pdf_response
from apps.billing.models import Invoice
from apps.core.money import Money
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


@dashboard_view(Role.ANALYST)
def payment_history(request, tenant_slug):
    page = Paginator(selectors.payment_history(request.tenant), PER_PAGE).get_page(
        request.GET.get("page")
    )
    for payment in page:
        payment.refunded_money = Money(payment.refunded_amount, payment.currency)
    return render(request, "billing/payments.html", {"page": page})
