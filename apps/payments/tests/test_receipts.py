"""54-FZ fiscal receipts against the local YooKassa and T-Bank fakes: every RUB payment and
refund carries the receipt each provider documents (checked with a JSON schema built from
their docs, `receipt_schemas.py`), its items add up exactly to the money moved, and the
provider's word on the receipt is kept and shown on the invoice page and PDF."""

import json
from datetime import timedelta

import jsonschema
import pytest
import respx
from django.urls import reverse
from django.utils import timezone

from apps.billing import services
from apps.billing.models import Subscription, UsageCharge, UsageChargeMode, UsageChargeStatus
from apps.billing.services.usage_charges import usage_charge_authorize
from apps.billing.tests.helpers import plan, subscribe
from apps.core.money import Money
from apps.payments.gateways.base import Receipt, ReceiptItem
from apps.payments.models import Invoice, Payment, PaymentKind, PaymentStatus, Refund
from apps.payments.services import payments as payment_steps
from apps.payments.services.receipts import (
    check_receipt_settings,
    receipt_build,
    receipt_vat,
    receipts_pending_refresh,
    refund_receipt_items,
)
from apps.payments.services.refunds import payment_refund
from apps.payments.tasks import refresh_pending_receipts_task
from apps.payments.tests.fakes import FakeServer, FakeTBank, FakeYooKassa
from apps.payments.tests.pdf_text import pdf_text
from apps.payments.tests.receipt_schemas import TBANK_RECEIPT, YOOKASSA_RECEIPT
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

TBANK = "https://securepay.test/v2"


def _valid(payload: dict, schema: dict) -> None:
    jsonschema.validate(payload, schema, format_checker=jsonschema.FormatChecker())


def _cents(value: str) -> int:
    units, _, fraction = value.partition(".")
    return int(units) * 100 + int((fraction + "00")[:2])


def _yookassa_total(receipt: dict) -> int:
    """YooKassa's item `amount` is the unit price: the total is price × quantity."""
    return sum(_cents(i["amount"]["value"]) * int(float(i["quantity"])) for i in receipt["items"])


@pytest.fixture
def yookassa(settings):
    fake = FakeYooKassa()
    with FakeServer(fake) as url:
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "100500", "test_secret"
        settings.YOOKASSA_API_URL = f"{url}/v3"
        settings.YOOKASSA_CHECK_IP = False
        settings.PAYMENTS_RUB_PROVIDER = "yookassa"
        yield fake


@pytest.fixture
def tbank(settings):
    fake = FakeTBank(password="secret-pass")
    fake.base_url = "https://securepay.test"
    fake.rebills["145919"] = "ok"
    settings.TINKOFF_TERMINAL_KEY = "TinkoffBankTest"
    settings.TINKOFF_PASSWORD = "secret-pass"
    settings.TINKOFF_API_URL = TBANK
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    with respx.mock:
        respx.route(host="securepay.test").mock(side_effect=fake.respx_handler)
        yield fake


def _start(tenant, code="pro") -> Payment:
    with tenant_scope(tenant):
        return services.payment_start(tenant=tenant, plan=plan(code))


def _sent(fake, route: str) -> list[dict]:
    return [body for name, body in fake.requests if name == route]


def _invoices_page(client, tenant) -> str:
    return client.get(reverse("billing:invoices", args=[tenant.slug])).content.decode()


# --- YooKassa -----------------------------------------------------------------------------


def test_yookassa_plan_payment_carries_the_documented_receipt_of_its_invoice(
    tenant, admin_user, yookassa, admin_client_web, english_ui
):
    # when a tenant starts paying for a plan through YooKassa
    payment = _start(tenant)
    # then the payment request carries a receipt in YooKassa's documented shape, built from
    # the invoice line, adding up to the amount, sent to the company's admin
    body = _sent(yookassa, "POST payments")[0]
    receipt = body["receipt"]
    _valid(receipt, YOOKASSA_RECEIPT)
    assert _yookassa_total(receipt) == payment.amount == plan("pro").price.amount
    assert receipt["customer"] == {"email": admin_user.email}
    assert receipt["tax_system_code"] == 2  # usn_income, the default
    item = receipt["items"][0]
    assert item["vat_code"] == 1 and item["payment_subject"] == "service"
    assert item["payment_mode"] == "full_payment" and plan("pro").name_ru in item["description"]
    payment.refresh_from_db()
    assert payment.receipt_status == "pending" and payment.receipt["items"]
    # when the payer pays and comes back: YooKassa reports the receipt registered
    yookassa.checkout_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.receipt_status == "registered"
    # and the invoice page and its PDF say so
    assert "Fiscal receipt: Registered" in _invoices_page(admin_client_web, tenant)
    invoice = Invoice.objects.for_tenant(tenant).get(payment=payment)
    pdf = admin_client_web.get(
        reverse("billing:invoice-pdf", args=[tenant.slug, invoice.pk]) + "?lang=en"
    )
    text = pdf_text(pdf.getvalue())
    assert "Fiscal receipt" in text and "Registered" in text


def test_yookassa_partial_refund_carries_a_refund_receipt_summing_to_the_refund(
    tenant, admin_user, yookassa
):
    payment = _start(tenant)
    yookassa.checkout_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment = payment_steps.payment_refresh(payment)
        refund = payment_refund(
            payment=payment, money=Money(100050, "RUB"), reason="goodwill", idempotency_key="rf-1"
        )
    receipt = _sent(yookassa, "POST refunds")[0]["receipt"]
    _valid(receipt, YOOKASSA_RECEIPT)
    assert _yookassa_total(receipt) == 100050
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.SUCCEEDED and refund.receipt_status == "registered"
    assert Receipt.from_dict(refund.receipt).total == 100050


def test_no_receipt_when_receipts_are_turned_off(tenant, admin_user, yookassa, settings):
    settings.FISCAL_RECEIPTS_ENABLED = False
    payment = _start(tenant)
    assert "receipt" not in _sent(yookassa, "POST payments")[0]
    payment.refresh_from_db()
    assert payment.receipt_status == "" and payment.receipt == {}


def test_sandbox_payments_carry_no_receipt(tenant, admin_user):
    payment = _start(tenant)  # the default provider in tests is the sandbox
    payment.refresh_from_db()
    assert payment.provider == "sandbox" and payment.receipt == {}


# --- T-Bank -------------------------------------------------------------------------------


def _tbank_notify(client, data: dict) -> bytes:
    return client.post("/webhooks/tinkoff/", json.dumps(data), "application/json").content


def test_tbank_plan_payment_and_refund_carry_receipts_and_their_registration_is_kept(
    tenant, admin_user, tbank, client, admin_client_web, english_ui
):
    # when a tenant starts paying through T-Bank
    payment = _start(tenant)
    init = _sent(tbank, "Init")[-1]
    # then Init carries the documented Receipt, in kopecks, adding up to Amount (and the
    # Token, which leaves nested objects out, still verifies: the fake checked it)
    _valid(init["Receipt"], TBANK_RECEIPT)
    items = init["Receipt"]["Items"]
    assert sum(item["Amount"] for item in items) == init["Amount"] == payment.amount
    assert all(item["Price"] * item["Quantity"] == item["Amount"] for item in items)
    assert init["Receipt"]["Email"] == admin_user.email
    assert init["Receipt"]["Taxation"] == "usn_income" and items[0]["Tax"] == "none"
    # when the payer pays, and T-Bank's fiscalization notification follows
    tbank.pay_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    asked = tbank.calls["GetState"]
    assert receipts_pending_refresh() == 0  # T-Bank tells by notification: never polled
    assert tbank.calls["GetState"] == asked
    notice = tbank.receipt_notification(payment.provider_id)
    assert _tbank_notify(client, notice) == b"OK"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.receipt_status == "registered"
    assert _tbank_notify(client, notice) == b"OK"  # a replay changes nothing
    # when part of it is refunded: Cancel carries the refund receipt
    with tenant_scope(tenant):
        refund = payment_refund(
            payment=payment, money=Money(1000, "RUB"), reason="sorry", idempotency_key="rf-t1"
        )
    cancel = _sent(tbank, "Cancel")[-1]
    _valid(cancel["Receipt"], TBANK_RECEIPT)
    assert sum(item["Amount"] for item in cancel["Receipt"]["Items"]) == cancel["Amount"] == 1000
    refund.refresh_from_db()
    assert refund.receipt_status == "pending"
    # and the refund's receipt (IncomeReturn) is kept on the refund, not the payment
    failed = tbank.receipt_notification(
        payment.provider_id, kind="IncomeReturn", ok=False, amount=1000
    )
    assert _tbank_notify(client, failed) == b"OK"
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.receipt_status == "failed" and payment.receipt_status == "registered"
    page = _invoices_page(admin_client_web, tenant)
    assert "Fiscal receipt: Registered" in page
    assert "Fiscal receipt: Registration failed" in page


def test_tbank_receipt_notification_with_a_bad_token_is_rejected(tenant, admin_user, tbank, client):
    payment = _start(tenant)
    notice = tbank.receipt_notification(payment.provider_id)
    notice["Token"] = "0" * 64
    response = client.post("/webhooks/tinkoff/", json.dumps(notice), "application/json")
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.receipt_status == "pending"


def test_tbank_usage_charge_on_the_saved_card_carries_a_receipt_of_the_charged_amount(
    tenant, admin_user, tbank
):
    # given a subscription paid by a saved T-Bank card and no credit
    now = timezone.now()
    subscription = subscribe(tenant, "pro", period_end=now + timedelta(days=20))
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="tinkoff", payment_method_id="145919"
    )
    # when a paid action of 7 × 14.99 RUB is authorized
    with tenant_scope(tenant):
        charge = usage_charge_authorize(
            tenant=tenant,
            kind="enrichment",
            reference="enrichment-run:1",
            quantity=7,
            unit_amount=1499,
            currency="RUB",
            idempotency_key="run-1",
            description="AI enrichment, 7 leads",
        )
    # then the card payment's Init carries a receipt adding up to exactly what was charged
    init = _sent(tbank, "Init")[-1]
    _valid(init["Receipt"], TBANK_RECEIPT)
    assert charge.amount == 7 * 1499
    assert sum(item["Amount"] for item in init["Receipt"]["Items"]) == init["Amount"] == 10493
    assert tbank.calls["Charge"] == 1


# --- building receipts ----------------------------------------------------------------------


def _item(amount: int, quantity: int = 1) -> ReceiptItem:
    return ReceiptItem("x", quantity, amount // quantity, amount, "none", "service", "full_payment")


def test_partial_refund_receipt_shares_the_amount_out_exactly():
    items = (_item(333, 3), _item(1000), _item(7))
    for amount in (1, 7, 100, 339, 1339, 1340):
        returned = refund_receipt_items(items, amount)
        assert sum(item.amount for item in returned) == min(amount, 1340)
        assert all(item.unit_amount * item.quantity == item.amount for item in returned)
        assert all(item.amount > 0 for item in returned)


def test_usage_lines_whose_price_was_rounded_become_one_position_of_their_amount(
    tenant, admin_user, settings
):

    subscription = subscribe(tenant, "pro")
    payment = Payment.objects.create(
        tenant=tenant,
        plan=subscription.plan,
        kind=PaymentKind.INVOICE,
        amount=1000 + 2 * 333 + 1,
        currency="RUB",
        provider="yookassa",
        idempotency_key="arrears-1",
    )
    for key, (quantity, unit, amount) in enumerate([(10, 100, 1000), (2, 333, 667)]):
        UsageCharge.objects.create(
            tenant=tenant,
            kind="enrichment",
            reference=f"run:{key}",
            quantity=quantity,
            unit_amount=unit,
            amount=amount,
            currency="RUB",
            mode=UsageChargeMode.ARREARS,
            status=UsageChargeStatus.AUTHORIZED,
            idempotency_key=f"k{key}",
            payment=payment,
        )
    receipt = receipt_build(payment)
    assert [(i.quantity, i.unit_amount, i.amount) for i in receipt.items] == [
        (10, 100, 1000),
        (1, 667, 667),
    ]
    assert receipt.total == payment.amount


def test_a_vat_rate_gives_its_code_and_a_wrong_setting_fails_the_system_check(settings):
    settings.BILLING_VAT_RATE_BP = 2200
    assert check_receipt_settings() == []

    assert receipt_vat() == "vat22"
    settings.FISCAL_TAX_SYSTEM = "flat_tax"
    errors = check_receipt_settings()
    assert [e.id for e in errors] == ["payments.E001"] and "FISCAL_TAX_SYSTEM" in errors[0].msg


def test_a_refund_of_a_payment_without_a_kept_receipt_builds_one(tenant, admin_user, yookassa):
    payment = _start(tenant)
    yookassa.checkout_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment = payment_steps.payment_refresh(payment)
    Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(receipt={})
    payment.refresh_from_db()
    with tenant_scope(tenant):
        payment_refund(payment=payment, money=payment.money, reason="all", idempotency_key="rf-all")
    receipt = _sent(yookassa, "POST refunds")[0]["receipt"]
    assert _yookassa_total(receipt) == payment.amount
    assert Refund.objects.for_tenant(tenant).get().receipt_status == "registered"


def test_a_yookassa_receipt_registered_after_the_payment_is_picked_up_by_the_beat_task(
    tenant, admin_user, yookassa
):

    # given a YooKassa payment that succeeded while its receipt was still being registered
    payment = _start(tenant)
    yookassa.checkout_submit(payment.provider_id, "pay")
    yookassa.payments[payment.provider_id]["receipt_registration"] = "pending"
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.receipt_status == "pending"
    assert refresh_pending_receipts_task() == 0  # still pending at YooKassa
    # when YooKassa has registered it, the next beat run keeps that
    yookassa.payments[payment.provider_id]["receipt_registration"] = "succeeded"
    assert refresh_pending_receipts_task() == 1
    payment.refresh_from_db()
    assert payment.receipt_status == "registered"
    assert refresh_pending_receipts_task() == 0  # nothing left to ask about
