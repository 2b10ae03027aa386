"""Staff console for charges, the credit ledger, refunds, invoices and billing history."""

import pytest

from apps.billing.models import BillingEvent, CreditEntry, Plan, Subscription, UsageCharge
from apps.billing.services.credits import credit_balance
from apps.billing.services.usage_charges import usage_charge_authorize, usage_charge_settle
from apps.billing.tests.helpers import subscribe
from apps.core.money import Money
from apps.payments.models import Invoice

pytestmark = pytest.mark.django_db


def _card_charge(tenant, key="enrichment-run-1", reference="run-1"):
    subscription = subscribe(tenant, "pro")
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id="sandbox_card_1"
    )
    return usage_charge_authorize(
        tenant=tenant,
        kind="enrichment",
        reference=reference,
        quantity=5,
        unit_amount=1000,
        currency="RUB",
        idempotency_key=key,
        description="AI enrichment of 5 leads",
    )


def test_ledger_lists_and_pages_render_with_data(admin_client_staff, tenant):
    charge = _card_charge(tenant)
    usage_charge_settle(charge, delivered=3, reason="2 leads failed")  # a refund + credit note
    invoice = Invoice.objects.for_tenant(tenant).get(payment=charge.payment, kind="invoice")
    for url in (
        "/admin/billing/usagecharge/",
        "/admin/billing/creditentry/",
        "/admin/payments/refund/",
        "/admin/payments/invoice/",
        "/admin/billing/billingevent/",
        f"/admin/billing/usagecharge/{charge.pk}/change/",
        f"/admin/payments/invoice/{invoice.pk}/change/",
    ):
        response = admin_client_staff.get(url)
        assert response.status_code == 200, url
    page = admin_client_staff.get(f"/admin/billing/usagecharge/{charge.pk}/change/")
    html = page.content.decode()
    assert f"/admin/payments/payment/{charge.payment_id}/change/" in html
    assert f"/admin/payments/invoice/{invoice.pk}/change/" in html
    assert "50.00 RUB" in html and "20.00 RUB" in html  # amount and what was given back
    listing = admin_client_staff.get("/admin/billing/usagecharge/").content.decode()
    assert "run-1" in listing and "Acme" in listing


def test_enrichment_reference_links_to_its_run(admin_client_staff, tenant):
    run_id = "0b0e7b1c-1f0e-4a55-9d4b-3f0c2a7d5e11"
    charge = _card_charge(tenant, key=f"enrichment-run-{run_id}", reference=run_id)
    html = admin_client_staff.get(f"/admin/billing/usagecharge/{charge.pk}/change/")
    assert f"/admin/enrichment/enrichmentrun/{run_id}/change/" in html.content.decode()


def test_ledger_rows_cannot_be_edited_or_deleted(admin_client_staff, tenant):
    charge = _card_charge(tenant)
    page = admin_client_staff.get(f"/admin/billing/usagecharge/{charge.pk}/change/")
    assert 'name="_save"' not in page.content.decode()
    response = admin_client_staff.post(
        f"/admin/billing/usagecharge/{charge.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert admin_client_staff.get("/admin/billing/usagecharge/add/").status_code == 403
    assert admin_client_staff.get("/admin/payments/invoice/add/").status_code == 403
    assert UsageCharge.objects.for_tenant(tenant).count() == 1


def test_staff_add_a_manual_credit_through_the_service(admin_client_staff, tenant):
    response = admin_client_staff.post(
        "/admin/billing/creditentry/add/",
        {"tenant": str(tenant.pk), "credit": "500.50", "currency": "rub", "reason": "Goodwill"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = CreditEntry.objects.for_tenant(tenant).get()
    assert (entry.amount, entry.currency, entry.reason) == (50050, "RUB", "Goodwill")
    assert entry.idempotency_key.startswith("staff-credit-")
    assert credit_balance(tenant, "RUB") == Money(50050, "RUB")
    event = BillingEvent.objects.for_tenant(tenant).get(kind="credit_added")
    assert event.actor == admin_client_staff.staff_user and event.amount == 50050
    # a second grant is a new entry, not a replay of the first
    admin_client_staff.post(
        "/admin/billing/creditentry/add/",
        {"tenant": str(tenant.pk), "credit": "1", "currency": "RUB", "reason": "More"},
    )
    assert credit_balance(tenant, "RUB") == Money(50150, "RUB")
    # entries are never edited or deleted
    page = admin_client_staff.get(f"/admin/billing/creditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    deleted = admin_client_staff.post(
        f"/admin/billing/creditentry/{entry.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403


@pytest.mark.parametrize(("credit", "currency"), [("0", "RUB"), ("-5", "RUB"), ("10", "RU")])
def test_manual_credit_refuses_bad_input(admin_client_staff, tenant, credit, currency):
    response = admin_client_staff.post(
        "/admin/billing/creditentry/add/",
        {"tenant": str(tenant.pk), "credit": credit, "currency": currency, "reason": "x"},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not CreditEntry.objects.for_tenant(tenant).exists()


def test_staff_download_an_invoice_pdf(admin_client_staff, tenant):
    charge = _card_charge(tenant)
    invoice = Invoice.objects.for_tenant(tenant).get(payment=charge.payment)
    listing = admin_client_staff.get("/admin/payments/invoice/").content.decode()
    assert f"/admin/payments/invoice/{invoice.pk}/pdf/" in listing
    response = admin_client_staff.get(f"/admin/payments/invoice/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.getvalue().startswith(b"%PDF")


def test_invoice_pdf_is_staff_only(client, tenant):
    charge = _card_charge(tenant)
    invoice = Invoice.objects.for_tenant(tenant).get(payment=charge.payment)
    response = client.get(f"/admin/payments/invoice/{invoice.pk}/pdf/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_plan_paid_action_settings_are_edited_in_admin(admin_client_staff):
    plan = Plan.objects.get(code="pro")
    page = admin_client_staff.get(f"/admin/billing/plan/{plan.pk}/change/")
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and key not in ("tools", "provider_price_ids", "id")
    }
    data.update(
        {
            "tools": plan.tools,
            "provider_price_ids": "{}",
            "enrichment_price_amount": "1200",
            "usage_billing": "arrears",
            "downgrade_policy": "immediate",
        }
    )
    response = admin_client_staff.post(f"/admin/billing/plan/{plan.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert (plan.enrichment_price_amount, plan.usage_billing, plan.downgrade_policy) == (
        1200,
        "arrears",
        "immediate",
    )
