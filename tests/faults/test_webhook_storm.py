"""Fault injection (issue 12): 10,000 provider notifications — T-Bank and YooKassa, correctly
signed (T-Bank's Token; YooKassa from a trusted address, its status read back from the API),
and Stripe's signed events through dj-stripe — for a few hundred distinct payments, each
delivered many times with earlier statuses among them, shuffled with a fixed seed.

Then every payment has had exactly one effect: succeeded once, one activation (plan
purchases) or one period move (Stripe renewals), one invoice, one e-mail, no refund, no
duplicate ledger rows.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections import Counter

import pytest
import responses
from django.core import mail
from django.test import RequestFactory, TestCase

from apps.billing.models import Plan, Subscription
from apps.billing.services.payments import payment_start
from apps.payments import webhooks
from apps.payments.gateways.tbank import make_token
from apps.payments.models import Invoice, Payment, PaymentEvent, PaymentKind, Refund
from tests.factories import MembershipFactory, TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SEED = 1205
TBANK_PAYMENTS = YOOKASSA_PAYMENTS = 100
RUB_DELIVERIES = 9_500  # the rest (STRIPE_DELIVERIES) goes to Stripe
STRIPE_INVOICES, STRIPE_DELIVERIES = 25, 500
API = "https://yookassa.test/v3"
TERMINAL, PASSWORD = "TinkoffBankTest", "storm-pass"
YOOKASSA_IP = "185.71.76.10"


@pytest.fixture
def providers(settings):
    settings.TINKOFF_TERMINAL_KEY, settings.TINKOFF_PASSWORD = TERMINAL, PASSWORD
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "100500", "test_secret"
    settings.YOOKASSA_API_URL, settings.YOOKASSA_CHECK_IP = API, True


def _plan_payments(provider: str, count: int, plan: Plan) -> list[Payment]:
    """Plan purchases as `payment_start` leaves them: committed, known to the provider."""
    payments = []
    for n in range(count):
        payment_id = uuid.uuid4()
        provider_id = str(3_000_000_000 + n) if provider == "tinkoff" else str(uuid.uuid4())
        payments.append(
            Payment.objects.create(
                id=payment_id,
                idempotency_key=f"fl-pay-{payment_id}",
                tenant=TenantFactory(),
                plan=plan,
                kind=PaymentKind.PLAN,
                amount=plan.price_amount,
                currency=plan.currency,
                provider=provider,
                provider_id=provider_id,
            )
        )
    return payments


def _tbank(payment: Payment, status: str):
    data = {
        "TerminalKey": TERMINAL,
        "OrderId": payment.idempotency_key,
        "Success": True,
        "Status": status,
        "PaymentId": int(payment.provider_id),
        "ErrorCode": "0",
        "Amount": payment.amount,
        "CardId": 322264,
        "Pan": "430000******0777",
        "ExpDate": "1230",
    }
    if status == "CONFIRMED":
        data["RebillId"] = 145919
    data["Token"] = make_token(data, PASSWORD)
    request = RequestFactory().post("/webhooks/tinkoff/", json.dumps(data), "application/json")
    return webhooks.tinkoff(request)


def _yookassa(payment: Payment, event: str):
    body = {"type": "notification", "event": event, "object": {"id": payment.provider_id}}
    request = RequestFactory().post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR=YOOKASSA_IP
    )
    return webhooks.yookassa(request)


def _yookassa_api(rub_amounts: dict[str, int]):
    """YooKassa's GET /payments/<id>: every payment has succeeded, with a saved card."""

    def answer(request):
        payment_id = request.url.rsplit("/", 1)[1]
        kopecks = rub_amounts[payment_id]
        body = {
            "id": payment_id,
            "status": "succeeded",
            "paid": True,
            "amount": {"value": f"{kopecks // 100}.{kopecks % 100:02d}", "currency": "RUB"},
            "payment_method": {"type": "bank_card", "id": f"pm-{payment_id[:8]}", "saved": True},
            "created_at": "2026-12-05T03:00:00.000Z",
            "metadata": {},
            "recipient": {"account_id": "100500", "gateway_id": "100700"},
            "refundable": True,
            "test": True,
        }
        return 200, {}, json.dumps(body)

    return answer


def _stripe_linked(client, stripe_env):
    """A tenant that bought email_2500 through Stripe Checkout."""
    tenant = TenantFactory()
    user = MembershipFactory(tenant=tenant, role="admin").user
    payment = payment_start(tenant=tenant, plan=Plan.objects.get(code="email_2500"), actor=user)
    session, stripe_sub, _invoice = stripe_env.fake.checkout_complete(payment.provider_id)
    assert stripe_env.deliver(client, stripe_env.fake.event("checkout.session.completed", session))
    return tenant, stripe_sub


def test_ten_thousand_shuffled_duplicate_notifications_have_one_effect_each(
    providers, client, stripe_env
):
    began = time.monotonic()
    rng = random.Random(SEED)
    pro = Plan.objects.get(code="pro")
    tbank = _plan_payments("tinkoff", TBANK_PAYMENTS, pro)
    yookassa = _plan_payments("yookassa", YOOKASSA_PAYMENTS, pro)
    tenant, stripe_sub = _stripe_linked(client, stripe_env)
    renew = stripe_env.fake.subscription_renew
    invoices = [renew(stripe_sub["id"]) for _ in range(STRIPE_INVOICES)]
    mail.outbox.clear()

    deliveries = []
    for n in range(RUB_DELIVERIES):
        if n % 2 == 0:
            status = rng.choice(["CONFIRMED", "CONFIRMED", "AUTHORIZED", "NEW"])
            deliveries.append(("tinkoff", tbank[n // 2 % TBANK_PAYMENTS], status))
        else:
            event = rng.choice(["payment.succeeded", "payment.waiting_for_capture"])
            deliveries.append(("yookassa", yookassa[n // 2 % YOOKASSA_PAYMENTS], event))
    for payment in tbank:  # every T-Bank payment is confirmed at least once
        deliveries.append(("tinkoff", payment, "CONFIRMED"))
    for n in range(STRIPE_DELIVERIES - len(tbank)):
        deliveries.append(("stripe", invoices[n % STRIPE_INVOICES], "invoice.paid"))
    rng.shuffle(deliveries)
    assert len(deliveries) == RUB_DELIVERIES + STRIPE_DELIVERIES

    answers: Counter[str] = Counter()
    amounts = {p.provider_id: p.amount for p in yookassa}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add_callback("GET", re.compile(f"{API}/payments/.+"), _yookassa_api(amounts))
        api.add_passthru(re.compile(r"http://127\.0\.0\.1.*"))
        for provider, target, status in deliveries:
            with TestCase.captureOnCommitCallbacks(execute=True):  # as after a request
                if provider == "tinkoff":
                    response = _tbank(target, status)
                elif provider == "yookassa":
                    response = _yookassa(target, status)
                else:
                    response = stripe_env.deliver(client, stripe_env.fake.event(status, target))
            answers[f"{provider} {response.status_code}"] += 1
    assert set(answers) == {"tinkoff 200", "yookassa 200", "stripe 200"}, answers

    # one effect each: T-Bank and YooKassa plan purchases
    rub = tbank + yookassa
    payments = Payment.objects.unscoped().filter(pk__in=[p.pk for p in rub])
    assert set(payments.values_list("status", flat=True)) == {"succeeded"}
    for payment in payments:
        live = Subscription.objects.for_tenant(payment.tenant_id).filter(status="active")
        assert [s.pk for s in live] == [payment.subscription_id]
    assert Invoice.objects.unscoped().filter(payment__in=payments).count() == len(rub)
    assert not Refund.objects.unscoped().exists()
    events = PaymentEvent.objects.filter(payment__in=payments)
    assert events.filter(status="succeeded").count() == len(rub)  # one success event each
    # Stripe renewals: one payment per invoice, the period at the newest invoice
    stripe_payments = Payment.objects.unscoped().filter(provider="stripe", kind="renewal")
    assert stripe_payments.count() == STRIPE_INVOICES
    assert len(set(stripe_payments.values_list("provider_id", flat=True))) == STRIPE_INVOICES
    ours = Subscription.objects.for_tenant(tenant).get(provider_ref=stripe_sub["id"])
    last = max(i["lines"]["data"][0]["period"]["end"] for i in invoices)
    assert int(ours.current_period_end.timestamp()) == last
    # one "payment succeeded" e-mail per renewal (only the Stripe tenant has an administrator)
    assert len(mail.outbox) == STRIPE_INVOICES, len(mail.outbox)

    print(
        "\nwebhook storm:",
        {
            "deliveries": len(deliveries),
            "answers": dict(answers),
            "payments": len(rub) + STRIPE_INVOICES,
            "effects": payments.count() + stripe_payments.count(),
            "seconds": round(time.monotonic() - began),
        },
    )
