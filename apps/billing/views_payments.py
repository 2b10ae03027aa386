"""The payment history page: every payment attempt with its plan.

Who sees it: every member from the analyst role up (analysts are the read-only finance and
reporting role; the billing page already shows payments to them).
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from apps.billing import selectors
from apps.core.money import Money
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role

PER_PAGE = 25


@dashboard_view(Role.ANALYST)
def payment_history(request, tenant_slug):
    page = Paginator(selectors.payment_history(request.tenant), PER_PAGE).get_page(
        request.GET.get("page")
    )
    for payment in page:
        payment.refunded_money = Money(payment.refunded_amount, payment.currency)
    return render(request, "billing/payments.html", {"page": page})
