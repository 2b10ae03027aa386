"""A company deleted for good leaves its accounting records behind: its invoices, credit notes
and the payments and refunds they record are detached (no tenant), keep the buyer's
requisites, lose the personal contacts accounting does not need, carry a retain-until date,
stay out of every tenant's pages and API, and the beat deletes them once that date is past."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.billing import services
from apps.billing.models import BillingAccount
from apps.billing.tests.helpers import admin_client_staff, plan, start_trial  # noqa: F401
from apps.core import private_files
from apps.core.errors import Conflict
from apps.core.money import Money
from apps.payments.invoice_pdf import invoice_pdf_bytes, invoice_pdf_response, invoice_pdfs_stored
from apps.payments.models import Invoice, Payment, PaymentEvent, PaymentStatus, Refund
from apps.payments.services import payments as payment_steps
from apps.payments.services.invoices import credit_note_for_refund, invoice_for_payment
from apps.payments.services.refunds import payment_refund
from apps.payments.services.retention import retained_records_purge
from apps.payments.tasks import purge_retained_records_task
from apps.payments.tests.pdf_text import pdf_text
from apps.privacy.services import closure
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _paid(tenant, *, approve=True) -> Payment:
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
        payment_steps.payment_sandbox_complete(payment=payment, approve=approve)
    payment.refresh_from_db()
    return payment


def _records(tenant) -> dict:
    """A paid invoice, a refund with its credit note, a declined attempt; personal data on
    the buyer, the receipt, the provider payload and a provider notification."""
    start_trial(tenant)
    BillingAccount.objects.for_tenant(tenant).update(
        legal_name="Acme LLC",
        tax_id="7701234567",
        billing_address="1 Main St",
        billing_email="anna@acme.test",
        invoice_language="en",
    )
    declined = _paid(tenant, approve=False)
    payment = _paid(tenant)
    invoice = invoice_for_payment(payment)
    Payment.objects.unscoped().filter(pk=payment.pk).update(
        raw={"payer": "anna@acme.test", "card": "4111 **** 1111"},
        receipt={"email": "anna@acme.test", "phone": "+79990000000", "items": [{"amount": 1}]},
        payment_method_id="pm_saved_card",
    )
    PaymentEvent.objects.create(
        provider=payment.provider, provider_event_id="evt-1", payment=payment, raw={"e": "x"}
    )
    refund = Refund.objects.create(
        tenant_id=tenant.pk,
        payment=payment,
        amount=1000,
        currency=payment.currency,
        reason="Charged twice",
        idempotency_key="r1",
        status=PaymentStatus.SUCCEEDED,
        raw={"payer": "anna@acme.test"},
    )
    note = credit_note_for_refund(refund)
    return {
        "payment": payment,
        "invoice": invoice,
        "refund": refund,
        "note": note,
        "declined": declined,
    }


def _delete(tenant, admin_user) -> None:
    result = closure.company_close(tenant=tenant, actor=admin_user)
    assert closure.closed_companies_delete(now=result.delete_after + timedelta(minutes=1)) == 1


def test_deleting_a_company_keeps_its_invoices_detached_with_the_buyer_and_a_date(
    tenant, admin_user
):
    records = _records(tenant)
    tenant_id = tenant.pk

    _delete(tenant, admin_user)

    invoice = Invoice.objects.unscoped().get(pk=records["invoice"].pk)
    note = Invoice.objects.unscoped().get(pk=records["note"].pk)
    year = timezone.localdate(invoice.issued_at).year
    assert invoice.tenant_id is None and note.tenant_id is None
    assert invoice.retain_until == date(year + 5, 12, 31)
    assert invoice.buyer["name"] == "Acme LLC" and invoice.buyer["tax_id"] == "7701234567"
    assert invoice.buyer["address"] == "1 Main St" and invoice.buyer["company"] == "Acme"
    assert invoice.lines.count() == 1 and invoice.total == records["payment"].amount
    # the PDF can still be reproduced, the credit note still names the invoice it corrects
    text = pdf_text(invoice_pdf_bytes(note, "en"))
    assert "Acme LLC" in text and "7701234567" in text and invoice.number in text
    # the payment and refund they record are kept too; the declined attempt is gone
    payment = Payment.objects.unscoped().get(pk=records["payment"].pk)
    refund = Refund.objects.unscoped().get(pk=records["refund"].pk)
    assert payment.tenant_id is None and refund.tenant_id is None
    assert payment.retain_until and refund.retain_until
    assert not Payment.objects.unscoped().filter(pk=records["declined"].pk).exists()
    assert not Payment.objects.unscoped().filter(tenant_id=tenant_id).exists()


def test_personal_data_on_the_kept_records_is_blanked(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    records = _records(tenant)
    invoice_pdf_response(records["invoice"], "en")  # stored while the company lives
    prefix = f"invoices/{tenant.pk}/{records['invoice'].pk}-en-"
    (stored,) = [n for n in invoice_pdfs_stored(tenant.pk) if n.startswith(prefix)]
    assert private_files.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        _delete(tenant, admin_user)

    invoice = Invoice.objects.unscoped().get(pk=records["invoice"].pk)
    payment = Payment.objects.unscoped().get(pk=records["payment"].pk)
    refund = Refund.objects.unscoped().get(pk=records["refund"].pk)
    assert invoice.buyer["email"] == ""
    assert "anna@acme.test" not in pdf_text(invoice_pdf_bytes(invoice, "en"))
    # the PDF stored while the company lived (with the e-mail) is deleted with it
    assert not private_files.exists(stored)
    assert payment.raw == {} and refund.raw == {}
    assert payment.receipt["email"] == "" and payment.receipt["phone"] == ""
    assert payment.receipt["items"] == [{"amount": 1}]
    assert payment.payment_method_id == "" and payment.created_by_id is None
    assert PaymentEvent.objects.get(provider_event_id="evt-1").raw == {}


def test_kept_records_are_invisible_to_every_tenant(
    tenant, admin_user, other_tenant, outsider_api, outsider_client_web
):
    records = _records(tenant)
    with tenant_scope(other_tenant):
        own = _paid(other_tenant)
    own_invoice = invoice_for_payment(own)
    _delete(tenant, admin_user)
    kept = records["invoice"]

    api = outsider_api.get(f"/api/v1/tenants/{other_tenant.pk}/billing/invoices/")
    pdf = outsider_api.get(f"/api/v1/tenants/{other_tenant.pk}/billing/invoices/{kept.pk}/pdf/")
    page = outsider_client_web.get(reverse("billing:invoices", args=[other_tenant.slug]))
    page_pdf = outsider_client_web.get(
        reverse("billing:invoice-pdf", args=[other_tenant.slug, kept.pk])
    )

    assert [item["id"] for item in api.json()["results"]] == [own_invoice.pk]
    assert pdf.status_code == 404 and page_pdf.status_code == 404
    assert [i.pk for i in page.context["page"]] == [own_invoice.pk]
    with tenant_scope(other_tenant):
        assert list(Invoice.objects.values_list("pk", flat=True)) == [own_invoice.pk]
        assert list(Payment.objects.values_list("pk", flat=True)) == [own.pk]
        assert not Refund.objects.exists()
    assert not Invoice.objects.for_tenant(None).exists()
    assert not Payment.objects.unscoped().for_tenant(None).exists()


def test_the_purge_deletes_only_records_past_their_date(tenant, admin_user, other_tenant):
    records = _records(tenant)
    with tenant_scope(other_tenant):
        own = _paid(other_tenant)
    own_invoice = invoice_for_payment(own)
    _delete(tenant, admin_user)
    kept = Invoice.objects.unscoped().get(pk=records["invoice"].pk)

    # on the last day nothing goes
    assert retained_records_purge(today=kept.retain_until) == {
        "invoices": 0,
        "payments": 0,
        "refunds": 0,
    }
    assert Invoice.objects.unscoped().filter(pk=kept.pk).exists()

    # a payment past its date waits for an invoice that is not
    later = kept.retain_until + timedelta(days=1)
    Invoice.objects.unscoped().filter(pk=records["note"].pk).update(retain_until=later)
    assert retained_records_purge(today=later) == {"invoices": 1, "payments": 0, "refunds": 0}
    assert Payment.objects.unscoped().filter(pk=records["payment"].pk).exists()

    # the day after, everything of the deleted company goes; the live company keeps its own
    assert retained_records_purge(today=later + timedelta(days=1)) == {
        "invoices": 1,
        "payments": 1,
        "refunds": 1,
    }
    assert not Invoice.objects.unscoped().filter(tenant__isnull=True).exists()
    assert not Payment.objects.unscoped().filter(tenant__isnull=True).exists()
    assert Invoice.objects.for_tenant(other_tenant).get().pk == own_invoice.pk
    assert Payment.objects.for_tenant(other_tenant).filter(pk=own.pk).exists()
    assert purge_retained_records_task() == {"invoices": 0, "payments": 0, "refunds": 0}


def test_staff_see_kept_invoices_read_only_with_their_date(
    tenant,
    admin_user,
    admin_client_staff,  # noqa: F811
):
    records = _records(tenant)
    _delete(tenant, admin_user)
    kept = Invoice.objects.unscoped().get(pk=records["invoice"].pk)

    listing = admin_client_staff.get("/admin/payments/invoice/?retained=yes")
    detail = admin_client_staff.get(f"/admin/payments/invoice/{kept.pk}/change/")
    pdf = admin_client_staff.get(f"/admin/payments/invoice/{kept.pk}/pdf/?lang=en")

    assert listing.status_code == 200
    assert {i.pk for i in listing.context["cl"].result_list} == {records["note"].pk, kept.pk}
    assert detail.status_code == 200 and not detail.context["has_change_permission"]
    assert f"{kept.retain_until.year}" in detail.content.decode()
    assert pdf.status_code == 200


def test_a_kept_payment_cannot_be_refunded(tenant, admin_user):
    records = _records(tenant)
    _delete(tenant, admin_user)
    payment = Payment.objects.unscoped().get(pk=records["payment"].pk)

    with pytest.raises(Conflict) as info:
        payment_refund(
            payment=payment, money=Money(100, payment.currency), reason="x", idempotency_key="k"
        )

    assert info.value.code == "payment_retained"
