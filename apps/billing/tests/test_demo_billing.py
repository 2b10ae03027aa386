"""Demo billing: the demo company is on Pro, paid through the sandbox with a saved test card
and a paid invoice, and seeding again changes nothing."""

import io

import pytest
from django.core.management import call_command

from apps.billing.models import Subscription, UsageCharge
from apps.billing.services.usage_charges import enrichment_unit_price, usage_charge_authorize
from apps.billing.tests.helpers import subscribe
from apps.payments.models import Invoice, Payment
from apps.tenants.models import Tenant
from apps.tenants.services import tenant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _seed(monkeypatch):
    monkeypatch.setattr("apps.leads.demo.DEMO_LEADS", 20)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return Tenant.objects.get(name="Демо Компания"), out.getvalue()


def test_demo_company_is_on_pro_paid_in_the_sandbox_with_a_saved_card(monkeypatch, settings):
    settings.PAYMENTS_RUB_PROVIDER = "sandbox"
    tenant, _ = _seed(monkeypatch)
    live = Subscription.objects.for_tenant(tenant).filter(status="active")
    [subscription] = live
    assert subscription.plan.code == "pro"
    assert subscription.provider == "sandbox"
    assert subscription.payment_method_id.startswith("sandbox_card_")
    [payment] = Payment.objects.for_tenant(tenant)
    assert (payment.status, payment.is_test, payment.amount) == ("succeeded", True, 999000)
    [invoice] = Invoice.objects.for_tenant(tenant)
    assert invoice.payment == payment and invoice.status == "paid" and invoice.total == 999000

    # a second run changes nothing
    _seed(monkeypatch)
    assert Subscription.objects.for_tenant(tenant).filter(status="active").count() == 1
    assert Payment.objects.for_tenant(tenant).count() == 1
    assert Invoice.objects.for_tenant(tenant).count() == 1

    # and enrichment is chargeable offline, on the saved test card
    unit = enrichment_unit_price(tenant)
    charge = usage_charge_authorize(
        tenant=tenant,
        kind="enrichment",
        reference="demo-run",
        quantity=3,
        unit_amount=unit.amount,
        currency=unit.currency,
        idempotency_key="demo-run",
        description="AI enrichment of 3 leads",
    )
    assert (charge.mode, charge.status, charge.amount) == ("card", "authorized", 3000)
    assert UsageCharge.objects.for_tenant(tenant).get().payment.provider == "sandbox"


def test_an_older_demo_on_business_moves_to_pro(monkeypatch, settings):
    settings.PAYMENTS_RUB_PROVIDER = "sandbox"

    admin = UserFactory(email="admin@demo.fastlead.local")

    tenant = tenant_create(user=admin, name="Демо Компания", site_domain="demo.fastlead.local")
    subscribe(tenant, "business")
    _seed(monkeypatch)
    [live] = Subscription.objects.for_tenant(tenant).filter(status="active")
    assert live.plan.code == "pro" and live.payment_method_id
