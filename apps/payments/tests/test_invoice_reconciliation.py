"""Everything reconciles: a generated year of activity (purchases, renewals on saved sandbox
cards, declines, payment by hand after a decline, paid actions, partial and full refunds) for
a few tenants in two currencies, then, for every tenant and currency,

    sum of succeeded payments − refunds == sum of invoices + credit notes,

every succeeded payment has exactly one invoice, every completed refund one credit note, and
invoice numbers are 1..N per currency without gaps. Plus a PostgreSQL-only test that twenty
threads issuing invoices at once get distinct, gapless numbers.
"""

import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum

from apps.billing import services
from apps.billing.models import Subscription, SubscriptionStatus
from apps.billing.services.dunning import dunning_pay_now
from apps.billing.services.usage_charges import usage_charge_authorize, usage_charge_settle
from apps.billing.tests.helpers import plan, start_trial
from apps.core.money import Money
from apps.payments.models import Invoice, InvoiceKind, Payment, PaymentStatus, Refund
from apps.payments.services import payments as payment_steps
from apps.payments.services.invoices import invoice_for_payment
from apps.payments.services.refunds import payment_refund
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PAID = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


def _buy(tenant, code: str, *, approve: bool = True) -> Payment:
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan(code))
        payment_steps.payment_sandbox_complete(payment=payment, approve=approve)
    payment.refresh_from_db()
    return payment


def _live(tenant) -> Subscription | None:
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE])
        .exclude(plan__code="trial")
        .first()
    )


def _set_card(tenant, card: str) -> None:
    Subscription.objects.for_tenant(tenant).exclude(plan__code="trial").update(
        payment_method_id=card
    )


def _refund(payment: Payment, amount: int, key: str) -> Refund:
    payment = Payment.objects.unscoped().get(pk=payment.pk)
    with tenant_scope(payment.tenant):
        return payment_refund(
            payment=payment,
            money=Money(amount, payment.currency),
            reason="Goodwill refund",
            idempotency_key=key,
        )


def _renew_due(day: int, outcomes: list[str]) -> None:
    """The beat's charge pass: every due subscription once, and a replay of the same
    request id, which must change nothing."""
    for subscription in list(services.subscriptions_eligible()):
        request_id = f"renew-{subscription.pk}-{day}"
        outcomes.append(
            services.subscription_charge(
                subscription_id=subscription.pk, request_id=request_id
            ).outcome
        )
        replay = services.subscription_charge(
            subscription_id=subscription.pk, request_id=request_id
        )
        assert replay.outcome == "replayed"


def _pay_overdue_by_hand(tenant) -> Payment:
    with tenant_scope(tenant):
        payment = dunning_pay_now(tenant=tenant)
        payment_steps.payment_sandbox_complete(payment=payment, approve=True)
    payment.refresh_from_db()
    return payment


@pytest.mark.django_db
def test_a_year_of_activity_reconciles_to_the_kopeck(settings):
    settings.BILLING_VAT_RATE_BP = 2000
    settings.PAYMENTS_RUB_PROVIDER = "sandbox"
    outcomes: list[str] = []
    with time_machine.travel(START, tick=False) as clock:
        # given four companies on trials; three buy RUB plans, one an EUR plan (sandbox)
        alfa, beta, gamma, delta = (TenantFactory(name=n) for n in ("Alfa", "Beta", "Gamma", "D"))
        for tenant in (alfa, beta, gamma, delta):
            start_trial(tenant)
        first_alfa = _buy(alfa, "pro")
        _buy(beta, "start")
        assert _buy(gamma, "pro", approve=False).status == PaymentStatus.FAILED  # declined
        _buy(gamma, "pro")
        _buy(delta, "email_2500")
        delta_payments = []
        gamma_charge = None

        # when a year goes by, a day at a time
        for day in range(1, 366):
            clock.move_to(START + timedelta(days=day))
            if day == 20:  # a partial refund of Alfa's purchase
                _refund(first_alfa, 100000, "alfa-partial")
            if day == 55:  # Beta's card starts declining before its second renewal
                _set_card(beta, "sandbox_card_decline")
            if day == 66:  # declined on day 64: Beta pays by hand, then a working card again
                assert _live(beta).status == SubscriptionStatus.PAST_DUE
                assert _pay_overdue_by_hand(beta).status == PaymentStatus.SUCCEEDED
                assert _live(beta).status == SubscriptionStatus.ACTIVE
                _set_card(beta, "sandbox_card_beta_ok")
            if day == 150:  # Gamma pays for 200 enriched leads on its card
                with tenant_scope(gamma):
                    gamma_charge = usage_charge_authorize(
                        tenant=gamma,
                        kind="enrichment",
                        reference="run-1",
                        quantity=200,
                        unit_amount=1000,
                        currency="RUB",
                        idempotency_key="gamma-run-1",
                        description="AI enrichment",
                    )
            if day == 151:  # 30 leads failed: given back to the card
                usage_charge_settle(gamma_charge, delivered=170)
            if day == 200:  # Delta's latest renewal refunded in full
                delta_payments = list(
                    Payment.objects.for_tenant(delta)
                    .filter(status=PaymentStatus.SUCCEEDED)
                    .order_by("-created_at")
                )
                _refund(delta_payments[0], delta_payments[0].amount, "delta-full")
            if day == 300:  # Beta's card declines for good: it stays past due
                _set_card(beta, "sandbox_card_decline")
            _renew_due(day, outcomes)

    # then the year had every kind of event
    assert outcomes.count("charged") >= 30 and outcomes.count("declined") >= 2
    assert Refund.objects.unscoped().filter(status=PaymentStatus.SUCCEEDED).count() == 3
    assert gamma_charge.payment_id and delta_payments
    assert _live(beta).status == SubscriptionStatus.PAST_DUE  # the last card declined
    # and every tenant reconciles, every payment and refund has its document
    for tenant in (alfa, beta, gamma, delta):
        _assert_reconciles(tenant)
    _assert_gapless_numbers()


def _assert_reconciles(tenant) -> None:
    payments = Payment.objects.for_tenant(tenant)
    invoices = Invoice.objects.for_tenant(tenant)
    per_currency = defaultdict(int)
    for currency, total in payments.filter(status__in=PAID).values_list("currency", "amount"):
        per_currency[currency] += total
    for refund in Refund.objects.for_tenant(tenant).filter(status=PaymentStatus.SUCCEEDED):
        per_currency[refund.currency] -= refund.amount
    invoiced = defaultdict(int)
    for currency, total in invoices.values_list("currency", "total"):
        invoiced[currency] += total
    assert dict(per_currency) == dict(invoiced), tenant.name
    # exactly one invoice per paid payment, none for the others
    for payment in payments:
        count = invoices.filter(payment=payment, kind=InvoiceKind.INVOICE).count()
        assert count == (1 if payment.status in PAID else 0), (tenant.name, payment.status)
    for refund in Refund.objects.for_tenant(tenant):
        count = invoices.filter(refund=refund, kind=InvoiceKind.CREDIT_NOTE).count()
        assert count == (1 if refund.status == PaymentStatus.SUCCEEDED else 0)
    # each document adds up: lines to the total, subtotal plus VAT to the total
    for invoice in invoices.annotate(lines_total=Sum("lines__amount")):
        assert invoice.lines_total == invoice.total, invoice.number
        assert invoice.subtotal + invoice.vat_amount == invoice.total
        assert invoice.vat_rate_bp == 2000 and invoice.status == "paid"
    # and the payments page agrees with the refunded amounts
    refunded = payments.aggregate(total=Sum("refunded_amount"))["total"] or 0
    refunds = Refund.objects.for_tenant(tenant).filter(status=PaymentStatus.SUCCEEDED)
    assert refunded == (refunds.aggregate(total=Sum("amount"))["total"] or 0)


def _assert_gapless_numbers() -> None:
    for currency in ("RUB", "EUR"):
        rows = Invoice.objects.unscoped().filter(currency=currency)
        sequences = sorted(rows.values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1)), currency
        assert len(set(rows.values_list("number", flat=True))) == len(sequences)
        assert all(n.startswith(f"FL-{currency}-") for n in rows.values_list("number", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_issue_invoices_with_distinct_gapless_numbers():
    # given twenty successful payments of different tenants, without invoices yet
    payments = []
    for n in range(20):
        tenant = TenantFactory()
        payments.append(
            Payment.objects.create(
                tenant=tenant,
                plan=plan("pro"),
                amount=999000,
                currency="RUB",
                provider="sandbox",
                is_test=True,
                idempotency_key=f"concurrent-{n}",
                status=PaymentStatus.SUCCEEDED,
            )
        )
    # (one of them asked for twice at once: still one invoice)
    payments.append(payments[0])
    barrier = threading.Barrier(len(payments))
    numbers, errors = [], []

    def worker(payment):
        try:
            barrier.wait()
            numbers.append(invoice_for_payment(payment).number)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    # when twenty-one threads issue them at once
    threads = [threading.Thread(target=worker, args=(p,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then the numbers are 1..20, each once, and the duplicate got the same invoice
    assert errors == []
    sequences = sorted(Invoice.objects.unscoped().values_list("sequence", flat=True))
    assert sequences == list(range(1, 21))
    assert len(set(numbers)) == 20 and len(numbers) == 21
