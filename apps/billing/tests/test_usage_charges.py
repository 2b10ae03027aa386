"""Paid actions (issue 6, "Charging"): authorize before the work in every mode, idempotently,
and give back what was not delivered."""

import threading
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from apps.billing.errors import PaymentDeclined, PaymentMethodRequired
from apps.billing.models import BillingEvent, CreditEntry, Subscription, UsageCharge
from apps.billing.services import usage_card
from apps.billing.services.credits import credit_add, credit_balance
from apps.billing.services.payments import ProviderUnavailable
from apps.billing.services.usage_charges import (
    enrichment_unit_price,
    usage_charge_authorize,
    usage_charge_settle,
)
from apps.billing.tests.helpers import start_trial, subscribe
from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.money import Money
from apps.payments.gateways.base import RefundResult
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import Invoice, Payment, Refund
from tests.factories import TenantFactory

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


class FakeGateway(SandboxGateway):
    """The sandbox, counting calls; `script` lists what the next charges do:
    "ok", "timeout" (a 5xx / no answer) or "decline"."""

    def __init__(self, script=()):
        self.script = list(script)
        self.charges = []
        self.refunds = []
        self.reports = []

    def charge_saved(self, request):
        self.charges.append(dict(vars(request)))
        step = self.script.pop(0) if self.script else "ok"
        if step == "timeout":
            raise ProviderError("read timeout", permanent=False)
        if step == "decline":
            raise ProviderError(
                "card_declined", permanent=True, user_message="Insufficient funds on the card."
            )
        return super().charge_saved(request)

    def refund(self, request):
        self.refunds.append(
            {
                "provider_id": request.provider_payment_id,
                "amount": request.amount,
                "idempotency_key": request.idempotency_key,
            }
        )
        return RefundResult(provider_id=f"re_{request.idempotency_key}", status="refunded")

    def report_usage(self, request):
        if self.script and self.script.pop(0) == "timeout":
            raise ProviderError("stripe 503", permanent=False)
        self.reports.append(dict(vars(request)))
        return f"mtrevt_{len(self.reports)}"


@pytest.fixture
def gateway(monkeypatch):
    fake = FakeGateway()
    monkeypatch.setattr("apps.payments.gateways.get_gateway", lambda name: fake)
    return fake


def _on_card(tenant, code="pro", method="sandbox_card_1", provider="sandbox") -> Subscription:
    subscription = subscribe(tenant, code)
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider=provider, payment_method_id=method
    )
    subscription.refresh_from_db()
    return subscription


def _authorize(tenant, key="run-1", quantity=10, unit_amount=1000, currency="RUB", **kwargs):
    return usage_charge_authorize(
        tenant=tenant,
        kind="enrichment",
        reference=kwargs.pop("reference", f"enrichment-run:{key}"),
        quantity=quantity,
        unit_amount=unit_amount,
        currency=currency,
        idempotency_key=key,
        description="AI enrichment, 10 leads",
        **kwargs,
    )


def _credit(tenant, amount, currency="RUB", key="top-up-1"):
    credit_add(tenant=tenant, money=Money(amount, currency), reason="top-up", idempotency_key=key)


def _events(tenant, kind):
    return list(BillingEvent.objects.for_tenant(tenant).filter(kind=kind))


# --- the unit price ------------------------------------------------------------------------


def test_unit_price_comes_from_the_current_plan(tenant):
    start_trial(tenant)
    assert enrichment_unit_price(tenant) == Money(1500, "RUB")  # the trial has a price too
    subscribe(tenant, "pro")
    assert enrichment_unit_price(tenant) == Money(1000, "RUB")
    other = TenantFactory()
    subscribe(other, "email_2500")
    assert enrichment_unit_price(other) == Money(5, "EUR")


# --- modes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "unit_amount"), [(0, 1000), (10, 0)])
def test_nothing_to_pay_is_included(tenant, gateway, quantity, unit_amount):
    _on_card(tenant)
    charge = _authorize(tenant, quantity=quantity, unit_amount=unit_amount)
    assert (charge.mode, charge.status, charge.amount) == ("included", "authorized", 0)
    assert gateway.charges == [] and not Payment.objects.for_tenant(tenant).exists()


def test_credit_that_covers_the_amount_is_spent_first(tenant, gateway):
    _on_card(tenant)
    _credit(tenant, 15000)
    charge = _authorize(tenant, actor=None)
    assert (charge.mode, charge.status, charge.amount) == ("credit", "authorized", 10000)
    assert credit_balance(tenant, "RUB") == Money(5000, "RUB")
    assert gateway.charges == [] and not Payment.objects.for_tenant(tenant).exists()
    [event] = _events(tenant, "usage_charged")
    assert event.amount == 10000 and event.data["usage_charge"] == charge.pk


def test_saved_card_is_charged_when_credit_does_not_cover_it(tenant, gateway):
    _on_card(tenant)
    _credit(tenant, 9999)  # one kopeck short: the balance is not split with the card
    charge = _authorize(tenant)
    assert (charge.mode, charge.status) == ("card", "authorized")
    payment = charge.payment
    assert (payment.kind, payment.status, payment.amount) == ("usage", "succeeded", 10000)
    assert payment.description == "AI enrichment, 10 leads"
    assert payment.idempotency_key == f"fl-pay-{payment.pk}"
    [call] = gateway.charges
    assert call["idempotency_key"] == payment.idempotency_key
    assert call["method_id"] == "sandbox_card_1" and call["amount"] == Money(10000, "RUB")
    assert credit_balance(tenant, "RUB") == Money(9999, "RUB")
    # the payment's invoice shows the action and the charge points at it
    invoice = Invoice.objects.for_tenant(tenant).get(payment=payment)
    assert charge.invoice == invoice and invoice.total == 10000
    assert [line.quantity for line in invoice.lines.all()] == [10]
    # the subscription was neither renewed nor replaced by the usage payment
    assert Subscription.objects.for_tenant(tenant).filter(status="active").count() == 1
    assert len(_events(tenant, "usage_charged")) == 1


def test_stripe_plan_in_arrears_is_metered_without_a_charge(tenant, gateway):
    _on_card(tenant, "email_2500", method="cus_test_1", provider="stripe")
    charge = _authorize(tenant, unit_amount=5, currency="EUR")
    assert (charge.mode, charge.status, charge.amount) == ("arrears", "authorized", 50)
    assert gateway.charges == [] and not Payment.objects.for_tenant(tenant).exists()


def test_arrears_plan_without_stripe_is_prepaid(tenant, gateway):
    # an EUR plan paid through the sandbox: nothing reports usage, so it is charged now
    _on_card(tenant, "email_2500", method="sandbox_card_1", provider="sandbox")
    charge = _authorize(tenant, unit_amount=5, currency="EUR")
    assert charge.mode == "card" and len(gateway.charges) == 1


def test_no_card_and_not_enough_credit_asks_for_a_card(tenant, gateway):
    start_trial(tenant)
    _credit(tenant, 500)
    with pytest.raises(PaymentMethodRequired) as error:
        _authorize(tenant)
    assert error.value.code == "payment_method_required" and error.value.status_code == 402
    assert "billing page" in error.value.message
    assert error.value.extra["billing_url"] == f"/t/{tenant.slug}/billing/"
    assert not UsageCharge.objects.for_tenant(tenant).exists()
    assert not Payment.objects.for_tenant(tenant).exists()
    assert credit_balance(tenant, "RUB") == Money(500, "RUB")


def test_bad_input_is_refused_with_the_fields_named(tenant):
    with pytest.raises(ValidationFailed) as error:
        usage_charge_authorize(
            tenant=tenant,
            kind="enrichment",
            reference="r",
            quantity=-1,
            unit_amount=10,
            currency="rub",
            idempotency_key="",
            description="x",
        )
    assert set(error.value.fields) == {"quantity", "currency", "idempotency_key"}


# --- idempotency ---------------------------------------------------------------------------


def test_same_key_twice_returns_the_first_charge_and_calls_the_provider_once(tenant, gateway):
    _on_card(tenant)
    first = _authorize(tenant)
    again = _authorize(tenant)
    assert again.pk == first.pk and again.payment_id == first.payment_id
    assert len(gateway.charges) == 1
    assert Payment.objects.for_tenant(tenant).count() == 1
    assert UsageCharge.objects.for_tenant(tenant).count() == 1
    assert len(_events(tenant, "usage_charged")) == 1


def test_same_key_for_a_different_charge_is_a_conflict(tenant, gateway):
    _on_card(tenant)
    _authorize(tenant)
    with pytest.raises(Conflict) as error:
        _authorize(tenant, quantity=11)
    assert error.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict):
        _authorize(TenantFactory())  # another company cannot read this charge back


def test_credit_charge_is_spent_once(tenant, gateway):
    _credit(tenant, 30000)
    _authorize(tenant)
    _authorize(tenant)
    assert credit_balance(tenant, "RUB") == Money(20000, "RUB")


# --- declines and faults -------------------------------------------------------------------


def test_decline_raises_with_the_cards_reason_and_bills_nothing(tenant, gateway):
    _on_card(tenant)
    gateway.script = ["decline"]
    with pytest.raises(PaymentDeclined) as error:
        _authorize(tenant)
    assert error.value.code == "payment_declined" and error.value.status_code == 402
    assert error.value.message == "Insufficient funds on the card."
    charge = UsageCharge.objects.for_tenant(tenant).get()
    assert (charge.status, charge.failure_reason) == ("declined", "Insufficient funds on the card.")
    assert charge.payment.status == "failed"
    assert not Invoice.objects.for_tenant(tenant).exists()
    assert not CreditEntry.objects.for_tenant(tenant).exists()
    assert _events(tenant, "usage_charged") == [] and len(_events(tenant, "usage_declined")) == 1
    # the same key again: the same decline, without asking the provider
    with pytest.raises(PaymentDeclined) as again:
        _authorize(tenant)
    assert again.value.message == "Insufficient funds on the card."
    assert len(gateway.charges) == 1


def test_sandbox_declining_card_is_declined(tenant, monkeypatch):
    _on_card(tenant, method="sandbox_card_decline")
    with pytest.raises(PaymentDeclined):
        _authorize(tenant)
    assert Payment.objects.for_tenant(tenant).get().status == "failed"


def test_timeout_then_retry_reuses_the_payment_and_its_key(tenant, gateway):
    _on_card(tenant)
    gateway.script = ["timeout", "ok"]
    with pytest.raises(ProviderUnavailable) as error:
        _authorize(tenant)
    assert error.value.status_code == 503
    assert not UsageCharge.objects.for_tenant(tenant).exists()  # nothing authorized
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == "pending" and payment.claimed_at is None
    # the user has topped up meanwhile: the started card payment is still the one finished
    _credit(tenant, 50000)
    charge = _authorize(tenant)
    assert charge.mode == "card" and charge.payment_id == payment.pk
    assert Payment.objects.for_tenant(tenant).count() == 1
    keys = [call["idempotency_key"] for call in gateway.charges]
    assert keys == [payment.idempotency_key] * 2
    assert credit_balance(tenant, "RUB") == Money(50000, "RUB")


def test_worker_killed_after_the_provider_call_is_retried_without_a_second_payment(tenant, gateway):
    _on_card(tenant)
    with (
        mock.patch.object(usage_card, "_card_succeeded", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        _authorize(tenant)
    # the provider took the money but our side never recorded it; the claim has gone stale
    Payment.objects.for_tenant(tenant).update(claimed_at=None)
    charge = _authorize(tenant)
    assert charge.status == "authorized" and Payment.objects.for_tenant(tenant).count() == 1
    assert {call["idempotency_key"] for call in gateway.charges} == {charge.payment.idempotency_key}


def test_a_payment_being_charged_elsewhere_is_not_charged_again(tenant, gateway):
    _on_card(tenant)
    gateway.script = ["timeout"]
    with pytest.raises(ProviderUnavailable):
        _authorize(tenant)

    Payment.objects.for_tenant(tenant).update(claimed_at=timezone.now())  # another worker
    with pytest.raises(ProviderUnavailable):
        _authorize(tenant)
    assert len(gateway.charges) == 1


# --- settle --------------------------------------------------------------------------------


def test_settle_credit_gives_back_undelivered_units_once(tenant, gateway):
    _credit(tenant, 10000)
    charge = _authorize(tenant)  # 10 × 10.00
    assert credit_balance(tenant, "RUB") == Money(0, "RUB")
    charge = usage_charge_settle(charge, delivered=7, reason="3 leads failed")
    assert (charge.refunded_quantity, charge.refunded_amount, charge.net_amount) == (3, 3000, 7000)
    assert credit_balance(tenant, "RUB") == Money(3000, "RUB")
    again = usage_charge_settle(charge, delivered=7)
    assert again.refunded_quantity == 3 and credit_balance(tenant, "RUB") == Money(3000, "RUB")
    # a later, smaller count gives back only the difference, never more than was charged
    usage_charge_settle(charge, delivered=5)
    assert credit_balance(tenant, "RUB") == Money(5000, "RUB")
    usage_charge_settle(charge, delivered=9)
    charge.refresh_from_db()
    assert charge.refunded_quantity == 5 and credit_balance(tenant, "RUB") == Money(5000, "RUB")
    assert len(_events(tenant, "credit_added")) == 2


def test_settle_everything_delivered_gives_nothing_back(tenant, gateway):
    _credit(tenant, 10000)
    charge = usage_charge_settle(_authorize(tenant), delivered=10)
    assert charge.refunded_quantity == 0 and credit_balance(tenant, "RUB") == Money(0, "RUB")


def test_settle_refuses_impossible_numbers(tenant, gateway):
    _credit(tenant, 10000)
    charge = _authorize(tenant)
    for delivered in (-1, 11):
        with pytest.raises(ValidationFailed):
            usage_charge_settle(charge, delivered=delivered)


def test_settle_card_refunds_the_undelivered_part(tenant, gateway):
    _on_card(tenant)
    charge = _authorize(tenant)
    charge = usage_charge_settle(charge, delivered=6, reason="4 leads failed")
    assert (charge.refunded_quantity, charge.refunded_amount) == (4, 4000)
    refund = Refund.objects.for_tenant(tenant).get()
    assert refund.payment_id == charge.payment_id and refund.amount == 4000
    assert refund.idempotency_key == f"usage-settle-{charge.pk}"
    charge.payment.refresh_from_db()
    assert charge.payment.refunded_amount == 4000
    usage_charge_settle(charge, delivered=6)
    assert Refund.objects.for_tenant(tenant).count() == 1
    charge.refresh_from_db()
    assert charge.refunded_amount == 4000


def test_settle_arrears_reports_only_delivered_units_once(tenant, gateway):
    _on_card(tenant, "email_2500", method="cus_test_1", provider="stripe")
    charge = _authorize(tenant, unit_amount=5, currency="EUR")
    charge = usage_charge_settle(charge, delivered=8)
    assert gateway.reports == [
        {"customer_id": "cus_test_1", "quantity": 8, "idempotency_key": charge.idempotency_key}
    ]
    assert charge.provider_ref == "mtrevt_1"
    assert (charge.refunded_quantity, charge.refunded_amount) == (2, 10)
    usage_charge_settle(charge, delivered=8)
    assert len(gateway.reports) == 1


def test_settle_arrears_retries_a_report_that_failed(tenant, gateway):
    _on_card(tenant, "email_2500", method="cus_test_1", provider="stripe")
    charge = _authorize(tenant, unit_amount=5, currency="EUR")
    gateway.script = ["timeout"]
    with pytest.raises(ProviderUnavailable):
        usage_charge_settle(charge, delivered=10)
    charge.refresh_from_db()
    assert charge.provider_ref == "" and gateway.reports == []
    charge = usage_charge_settle(charge, delivered=10)
    assert charge.provider_ref == "mtrevt_1" and charge.refunded_quantity == 0


def test_settle_arrears_with_nothing_delivered_reports_nothing(tenant, gateway):
    _on_card(tenant, "email_2500", method="cus_test_1", provider="stripe")
    charge = usage_charge_settle(_authorize(tenant, unit_amount=5, currency="EUR"), delivered=0)
    assert gateway.reports == [] and charge.refunded_quantity == 10


def test_settle_of_a_declined_charge_changes_nothing(tenant, gateway):
    _on_card(tenant)
    gateway.script = ["decline"]
    with pytest.raises(PaymentDeclined):
        _authorize(tenant)
    charge = UsageCharge.objects.for_tenant(tenant).get()
    assert usage_charge_settle(charge, delivered=0).refunded_quantity == 0


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


def _run_at_once(count, target):
    barrier = threading.Barrier(count)
    results = []

    def worker(n):
        try:
            barrier.wait()
            results.append(target(n))
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_authorizations_never_overdraw_the_credit(gateway):
    tenant = TenantFactory()
    start_trial(tenant)
    _credit(tenant, 10000)  # enough for one 6,000 charge only
    results = _run_at_once(4, lambda n: _authorize(tenant, key=f"run-{n}", quantity=6))
    charges = [r for r in results if isinstance(r, UsageCharge)]
    refused = [r for r in results if isinstance(r, PaymentMethodRequired)]
    assert len(charges) == 1 and len(refused) == 3, results
    assert credit_balance(tenant, "RUB") == Money(4000, "RUB")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_one_key_charge_the_card_once(gateway):
    tenant = TenantFactory()
    _on_card(tenant)
    results = _run_at_once(4, lambda n: _authorize(tenant, key="run-same"))
    charges = {r.pk for r in results if isinstance(r, UsageCharge)}
    assert len(charges) == 1, results
    others = [r for r in results if not isinstance(r, UsageCharge)]
    assert all(isinstance(r, ProviderUnavailable) for r in others), others
    assert Payment.objects.for_tenant(tenant).count() == 1
    assert len(gateway.charges) == 1
