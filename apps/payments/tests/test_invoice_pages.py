"""The invoices and payment history pages, the invoice PDF download and the invoices API:
wiring, roles, pagination and tenant isolation."""

import pytest
from django.urls import reverse

from apps.billing import services
from apps.billing.tests.helpers import plan, start_trial
from apps.payments.models import Invoice, Payment, PaymentStatus, Refund
from apps.payments.services import payments as payment_steps
from apps.payments.services.invoices import credit_note_for_refund, invoice_for_payment
from apps.payments.tests.pdf_text import pdf_text
from apps.payments.views import PER_PAGE
from apps.tenants.scoping import tenant_scope
from conftest import api_client_for

pytestmark = pytest.mark.django_db


def paid(tenant, code="pro", *, approve=True) -> Payment:
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan(code))
        payment_steps.payment_sandbox_complete(payment=payment, approve=approve)
    payment.refresh_from_db()
    return payment


def _many_invoices(tenant, count: int) -> list[Invoice]:
    """`count` invoices without going through the gateway (cheap)."""
    result = []
    for n in range(count):
        payment = Payment.objects.create(
            tenant=tenant,
            plan=plan("start"),
            amount=1000 + n,
            currency="RUB",
            provider="sandbox",
            is_test=True,
            idempotency_key=f"bulk-{tenant.pk}-{n}",
            status=PaymentStatus.SUCCEEDED,
        )
        result.append(invoice_for_payment(payment))
    return result


def _urls(tenant, invoice=None) -> dict:
    urls = {
        "invoices": reverse("billing:invoices", args=[tenant.slug]),
        "payments": reverse("billing:payments", args=[tenant.slug]),
    }
    if invoice is not None:
        urls["pdf"] = reverse("billing:invoice-pdf", args=[tenant.slug, invoice.pk])
    return urls


# --- dashboard ------------------------------------------------------------------------------


def test_billing_page_links_to_invoices_and_payment_history(tenant, admin_client_web):
    start_trial(tenant)
    html = admin_client_web.get(reverse("billing:overview", args=[tenant.slug])).content.decode()
    assert _urls(tenant)["invoices"] in html and _urls(tenant)["payments"] in html


def test_invoices_page_lists_invoices_and_credit_notes_with_pdf_links(tenant, analyst_client_web):
    # given an invoice and a credit note
    payment = paid(tenant)
    invoice = invoice_for_payment(payment)

    refund = Refund.objects.create(
        tenant=tenant,
        payment=payment,
        amount=1000,
        currency="RUB",
        reason="goodwill",
        idempotency_key="r-page",
        status=PaymentStatus.SUCCEEDED,
    )
    note = credit_note_for_refund(refund)
    # when an analyst opens the invoices page
    response = analyst_client_web.get(_urls(tenant)["invoices"])
    # then both are listed, newest first, each with its PDF link
    assert response.status_code == 200
    html = response.content.decode()
    assert [i.pk for i in response.context["page"]] == [note.pk, invoice.pk]
    assert invoice.number in html and note.number in html
    assert _urls(tenant, invoice)["pdf"] in html and _urls(tenant, note)["pdf"] in html
    assert "9\xa0990,00 RUB" in html


def test_invoices_page_is_paginated_with_bounded_queries(
    tenant, analyst_client_web, django_assert_max_num_queries
):
    _many_invoices(tenant, PER_PAGE + 3)
    with django_assert_max_num_queries(15):
        first = analyst_client_web.get(_urls(tenant)["invoices"])
    assert len(first.context["page"]) == PER_PAGE
    second = analyst_client_web.get(_urls(tenant)["invoices"], {"page": 2})
    assert len(second.context["page"]) == 3
    assert "?page=2" in first.content.decode()


def test_invoice_pdf_downloads_with_a_filename_in_the_requested_language(
    tenant, analyst_client_web
):
    invoice = invoice_for_payment(paid(tenant))
    response = analyst_client_web.get(_urls(tenant, invoice)["pdf"], {"lang": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-{invoice.number}-en.pdf"'
    )
    assert "Description" in pdf_text(response.getvalue())
    default = analyst_client_web.get(_urls(tenant, invoice)["pdf"])
    assert default["Content-Disposition"].endswith('-ru.pdf"')


def test_another_tenants_invoice_pdf_is_404(tenant, other_tenant, outsider_client_web):
    invoice = invoice_for_payment(paid(tenant))
    foreign = reverse("billing:invoice-pdf", args=[other_tenant.slug, invoice.pk])
    assert outsider_client_web.get(foreign).status_code == 404
    # and the tenant's own URL is not theirs to open
    assert outsider_client_web.get(_urls(tenant, invoice)["pdf"]).status_code in (403, 404)


def test_payment_history_shows_status_failure_provider_refund_and_test_badge(
    tenant, analyst_client_web
):
    # given a declined payment and a partly refunded one
    start_trial(tenant)
    declined = paid(tenant, approve=False)
    ok = paid(tenant)
    Payment.objects.for_tenant(tenant).filter(pk=ok.pk).update(refunded_amount=150000)
    # when the history page is opened
    response = analyst_client_web.get(_urls(tenant)["payments"])
    # then both rows show what happened
    html = response.content.decode()
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [ok.pk, declined.pk]
    assert declined.failure_reason in html
    assert "sandbox" in html and 'badge badge-muted">' in html
    assert "1\xa0500,00 RUB" in html


def test_payment_history_is_paginated_with_bounded_queries(
    tenant, analyst_client_web, django_assert_max_num_queries
):
    _many_invoices(tenant, PER_PAGE + 1)
    with django_assert_max_num_queries(15):
        response = analyst_client_web.get(_urls(tenant)["payments"])
    assert len(response.context["page"]) == PER_PAGE
    assert response.context["page"].paginator.num_pages == 2


def test_pages_need_a_member_of_the_tenant(tenant, client, outsider_client_web):
    for url in _urls(tenant).values():
        assert client.get(url).status_code in (302, 404)  # anonymous: nothing is shown
        assert outsider_client_web.get(url).status_code == 404


# --- API ------------------------------------------------------------------------------------


def _api(tenant) -> str:
    return f"/api/v1/tenants/{tenant.id}/billing/invoices/"


def test_api_lists_invoices_with_lines_money_and_pdf_url(tenant, analyst_api):
    invoice = invoice_for_payment(paid(tenant))
    response = analyst_api.get(_api(tenant))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["id"] == invoice.pk and item["number"] == invoice.number
    assert item["kind"] == "invoice" and item["status"] == "paid" and item["is_test"] is True
    assert item["total"] == {"amount": 999000, "currency": "RUB"}
    assert item["vat"] == {"amount": 0, "currency": "RUB"}
    assert item["lines"][0]["amount"] == {"amount": 999000, "currency": "RUB"}
    assert item["lines"][0]["quantity"] == 1
    assert item["buyer"]["name"] == "Acme"
    assert item["pdf_url"] == f"http://testserver{_api(tenant)}{invoice.pk}/pdf/"
    pdf = analyst_api.get(item["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert invoice.number in pdf_text(pdf.getvalue())


def test_api_pdf_accepts_application_pdf_and_lang(tenant, admin_api):
    invoice = invoice_for_payment(paid(tenant))
    url = f"{_api(tenant)}{invoice.pk}/pdf/?lang=en"
    response = admin_api.get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-en.pdf"')


def test_api_list_is_paginated(tenant, admin_api, django_assert_max_num_queries):
    _many_invoices(tenant, 7)
    with django_assert_max_num_queries(12):
        body = admin_api.get(_api(tenant), {"limit": 5}).json()
    assert body["count"] == 7 and len(body["results"]) == 5 and body["next"]


def test_api_another_tenants_invoice_is_404(tenant, other_tenant, outsider):
    invoice = invoice_for_payment(paid(tenant))
    api = api_client_for(outsider)
    # the outsider's own tenant does not have it
    response = api.get(f"{_api(other_tenant)}{invoice.pk}/pdf/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api.get(f"{_api(other_tenant)}").json()["count"] == 0
    # and the tenant's URLs are not theirs
    assert api.get(_api(tenant)).status_code == 404
    assert api.get(f"{_api(tenant)}{invoice.pk}/pdf/").status_code == 404


def test_api_needs_authentication(tenant, api_client):
    assert api_client.get(_api(tenant)).status_code == 401
