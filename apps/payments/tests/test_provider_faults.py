"""Provider faults against the local T-Bank and YooKassa fakes (apps.payments.tests.fakes.py):
lost answers, timeouts, declines, a process killed between the provider call and our commit.
The fakes count requests, so "the provider was not charged twice" is checked where it happens."""

import json
from datetime import timedelta
from unittest import mock

import httpx
import pytest
import respx
from django.urls import reverse
from django.utils import timezone, translation

from apps.billing import services
from apps.billing.models import Subscription
from apps.billing.tests.helpers import plan, subscribe
from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.payments.gateways.tbank import TBankGateway, make_token, map_status
from apps.payments.gateways.yookassa import YooKassaGateway
from apps.payments.models import Payment, PaymentEvent, PaymentStatus
from apps.payments.services import payments as payment_steps
from apps.payments.tests.fakes import FakeServer, FakeTBank, FakeYooKassa
from apps.payments.tests.requests import hosted, refund_request, saved_charge
from apps.tenants.scoping import tenant_scope

TBANK = "https://securepay.test/v2"


@pytest.fixture
def tbank():
    fake = FakeTBank(password="secret-pass")
    fake.base_url = "https://securepay.test"
    fake.rebills["145919"] = "ok"
    with respx.mock:
        respx.route(host="securepay.test").mock(side_effect=fake.respx_handler)
        yield fake


@pytest.fixture
def gateway():
    return TBankGateway(terminal_key="TinkoffBankTest", password="secret-pass", api_url=TBANK)


def _charge(gateway, key="fl-pay-renew-1", card="145919"):
    return gateway.charge_saved(
        saved_charge(method_id=card, amount=Money(499000, "RUB"), idempotency_key=key)
    )


# --- T-Bank: the outcome of Init/Charge is unknown after a timeout ---------------------------


def test_charge_timeout_then_the_next_attempt_finds_it_confirmed_and_charges_nothing_more(
    gateway, tbank
):
    # given a Charge that T-Bank carries out but whose answer is lost, and a GetState that
    # does not answer either
    tbank.fail("Charge", "lost")
    tbank.fail("GetState", "timeout")
    with pytest.raises(ProviderError) as info:
        _charge(gateway)
    assert not info.value.permanent  # unknown outcome: retry later
    # when the renewal is retried with the same idempotency key
    result = _charge(gateway)
    # then CheckOrder finds the confirmed payment: no second Init, no second Charge
    assert result.status == "succeeded"
    assert tbank.calls["Init"] == 1 and tbank.calls["Charge"] == 1
    assert tbank.calls["CheckOrder"] == 2
    assert [p["Status"] for p in tbank.payments.values()] == ["CONFIRMED"]


def test_a_lost_charge_answer_is_settled_at_once_by_get_state(gateway, tbank):
    tbank.fail("Charge", "lost")
    result = _charge(gateway)
    assert result.status == "succeeded" and result.provider_id in tbank.payments
    assert tbank.calls["Charge"] == 1 and tbank.calls["GetState"] == 1


def test_an_init_whose_answer_was_lost_is_charged_not_initialised_again(gateway, tbank):
    tbank.fail("Init", "lost")
    with pytest.raises(ProviderError):
        _charge(gateway)
    result = _charge(gateway)
    assert result.status == "succeeded"
    assert tbank.calls["Init"] == 1 and tbank.calls["Charge"] == 1


def test_no_new_payment_while_the_order_cannot_be_looked_up(gateway, tbank):
    tbank.fail("CheckOrder", "500")
    with pytest.raises(ProviderError) as info:
        _charge(gateway)
    assert not info.value.permanent and tbank.calls["Init"] == 0


def test_a_declined_charge_stays_declined_on_retry_without_charging_again(gateway, tbank):
    tbank.rebills["777"] = "decline"
    with pytest.raises(ProviderError) as info:
        _charge(gateway, card="777")
    assert info.value.permanent and info.value.code == "1051"
    with pytest.raises(ProviderError) as again:
        _charge(gateway, card="777")
    assert again.value.permanent
    assert tbank.calls["Init"] == 1 and tbank.calls["Charge"] == 1


def test_create_payment_answers_an_order_already_paid_instead_of_a_second_init(gateway, tbank):
    first = gateway.create_payment(
        hosted(
            amount=Money(999000, "RUB"),
            description="Pro",
            idempotency_key="fl-pay-9",
            return_url="",
        )
    )
    tbank.pay_submit(first.provider_id, "pay")
    again = gateway.create_payment(
        hosted(
            amount=Money(999000, "RUB"),
            description="Pro",
            idempotency_key="fl-pay-9",
            return_url="",
        )
    )
    assert again.provider_id == first.provider_id and again.status == "succeeded"
    assert tbank.calls["Init"] == 1


def test_refund_is_a_cancel_with_the_amount_and_our_key_and_a_repeat_refunds_once(gateway, tbank):
    paid = _charge(gateway)
    part = gateway.refund(
        refund_request(
            provider_id=paid.provider_id, amount=Money(100050, "RUB"), idempotency_key="rf-1"
        )
    )
    assert part.status == "refunded"
    assert tbank.payments[paid.provider_id]["Status"] == "PARTIAL_REFUNDED"
    sent = respx.calls.last.request
    body = json.loads(sent.content)
    assert body["Amount"] == 100050 and body["ExternalRequestId"] == "rf-1"
    # the same key again (a retry after a lost answer) is the same refund
    gateway.refund(
        refund_request(
            provider_id=paid.provider_id, amount=Money(100050, "RUB"), idempotency_key="rf-1"
        )
    )
    assert tbank.payments[paid.provider_id]["Refunded"] == 100050
    rest = gateway.refund(
        refund_request(
            provider_id=paid.provider_id, amount=Money(398950, "RUB"), idempotency_key="rf-2"
        )
    )
    assert rest.status == "refunded" and tbank.payments[paid.provider_id]["Status"] == "REFUNDED"


def test_partial_refund_notification_does_not_turn_the_payment_refunded():
    assert map_status("PARTIAL_REFUNDED") == "succeeded" and map_status("REFUNDED") == "refunded"


# --- the renewal service with a process killed between the provider call and our commit ------


@pytest.fixture
def tinkoff_settings(settings):
    settings.TINKOFF_TERMINAL_KEY = "TinkoffBankTest"
    settings.TINKOFF_PASSWORD = "secret-pass"
    settings.TINKOFF_API_URL = TBANK
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    return settings


def _due_on_tinkoff(tenant) -> Subscription:
    now = timezone.now()
    subscription = subscribe(
        tenant, "pro", period_start=now - timedelta(days=31), period_end=now - timedelta(hours=1)
    )
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="tinkoff", payment_method_id="145919"
    )
    return subscription


@pytest.mark.django_db
def test_killed_after_the_provider_charged_then_the_next_attempt_reconciles_without_a_second_charge(
    tenant, tbank, tinkoff_settings
):
    # given a due renewal whose worker dies right after T-Bank charged the card
    subscription = _due_on_tinkoff(tenant)
    real = TBankGateway.charge_saved

    def charge_then_die(self, request):
        real(self, request)
        raise SystemExit("worker killed")

    with (
        mock.patch.object(TBankGateway, "charge_saved", charge_then_die),
        pytest.raises(SystemExit),
    ):
        services.subscription_charge(subscription_id=subscription.pk, request_id="r1")
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == PaymentStatus.PENDING and not payment.provider_id
    # when another worker charges the subscription once the first one's claim has expired
    Payment.objects.for_tenant(tenant).update(claimed_at=timezone.now() - timedelta(minutes=5))
    outcome = services.subscription_charge(subscription_id=subscription.pk, request_id="r2")
    # then the same payment succeeds, and T-Bank charged the card once
    assert outcome.outcome == "charged" and outcome.payment.pk == payment.pk
    assert Payment.objects.for_tenant(tenant).count() == 1
    assert tbank.calls["Init"] == 1 and tbank.calls["Charge"] == 1
    subscription.refresh_from_db()
    assert subscription.current_period_end > timezone.now()


@pytest.mark.django_db
def test_killed_after_the_provider_charged_then_the_notification_reconciles(
    tenant, tbank, tinkoff_settings, client
):
    subscription = _due_on_tinkoff(tenant)
    real = TBankGateway.charge_saved
    charged = {}

    def charge_then_die(self, request):
        charged["result"] = real(self, request)
        raise SystemExit("worker killed")

    with (
        mock.patch.object(TBankGateway, "charge_saved", charge_then_die),
        pytest.raises(SystemExit),
    ):
        services.subscription_charge(subscription_id=subscription.pk, request_id="r1")
    payment = Payment.objects.for_tenant(tenant).get()
    # T-Bank's notification names its PaymentId (unknown to us) and our OrderId
    data = {
        "TerminalKey": "TinkoffBankTest",
        "OrderId": payment.idempotency_key,
        "Success": True,
        "Status": "CONFIRMED",
        "PaymentId": charged["result"].provider_id,
        "ErrorCode": "0",
        "Amount": payment.amount,
        "RebillId": "145919",
    }
    data["Token"] = make_token(data, "secret-pass")
    response = client.post("/webhooks/tinkoff/", json.dumps(data), "application/json")
    assert response.status_code == 200 and response.content == b"OK"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_id == charged["result"].provider_id
    assert tbank.calls["Charge"] == 1


@pytest.mark.django_db
def test_timeout_mid_charge_leaves_the_payment_pending_and_the_retry_charges_once(
    tenant, tbank, tinkoff_settings
):
    subscription = _due_on_tinkoff(tenant)
    tbank.fail("Charge", "lost")
    tbank.fail("GetState", "timeout")
    first = services.subscription_charge(subscription_id=subscription.pk, request_id="r1")
    assert first.outcome == "pending" and first.payment.status == PaymentStatus.PENDING
    second = services.subscription_charge(subscription_id=subscription.pk, request_id="r2")
    assert second.outcome == "charged" and second.payment.pk == first.payment.pk
    assert tbank.calls["Init"] == 1 and tbank.calls["Charge"] == 1


@pytest.mark.django_db
def test_a_declined_start_is_402_with_the_banks_reason(tenant, admin_api, tinkoff_settings):
    with respx.mock:
        respx.post(f"{TBANK}/CheckOrder").mock(
            return_value=httpx.Response(200, json={"Success": True, "ErrorCode": "0"})
        )
        respx.post(f"{TBANK}/Init").mock(
            return_value=httpx.Response(
                200, json={"Success": False, "ErrorCode": "1051", "Message": "Недостаточно"}
            )
        )
        response = admin_api.post(
            f"/api/v1/tenants/{tenant.id}/billing/payments/",
            {"plan": "pro"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "payment_declined" and "1051" in error["message"]


# --- YooKassa notifications: source address, replays, unknown payments, lost commits ---------


@pytest.fixture
def yookassa(settings):
    fake = FakeYooKassa()
    with FakeServer(fake) as url:
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "100500", "test_secret"
        settings.YOOKASSA_API_URL = f"{url}/v3"
        settings.YOOKASSA_CHECK_IP = True
        settings.PAYMENTS_RUB_PROVIDER = "yookassa"
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        yield fake


YOOKASSA_IP = "185.71.76.10"  # one of YooKassa's documented notification addresses


def _yk_notify(client, payment_id, *, peer, forwarded=None, event="payment.succeeded"):
    body = {"type": "notification", "event": event, "object": {"id": payment_id}}
    if event.startswith("refund."):
        body["object"] = {"id": "rf-1", "payment_id": payment_id, "status": "succeeded"}
    extra = {"REMOTE_ADDR": peer}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/webhooks/yookassa/", json.dumps(body), "application/json", **extra)


def _yk_started(tenant):
    with tenant_scope(tenant):
        return services.payment_start(tenant=tenant, plan=plan("pro"))


@pytest.mark.django_db
def test_yookassa_notification_through_our_proxy_is_accepted_and_a_forged_one_is_not(
    tenant, yookassa, client
):
    payment = _yk_started(tenant)
    yookassa.checkout_submit(payment.provider_id, "pay")
    # a forged X-Forwarded-For sent straight to us from elsewhere: rejected, nothing changes
    forged = _yk_notify(client, payment.provider_id, peer="203.0.113.9", forwarded=YOOKASSA_IP)
    assert forged.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not PaymentEvent.objects.exists()
    assert yookassa.calls["GET payments"] == 0  # rejected before asking the API
    # YooKassa's notification through our own proxy: accepted, re-fetched, applied once
    ok = _yk_notify(client, payment.provider_id, peer="10.0.0.2", forwarded=YOOKASSA_IP)
    assert ok.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    replay = _yk_notify(client, payment.provider_id, peer="10.0.0.2", forwarded=YOOKASSA_IP)
    assert replay.status_code == 200 and PaymentEvent.objects.count() == 1


@pytest.mark.django_db
def test_yookassa_refund_notification_is_answered_and_changes_nothing(tenant, yookassa, client):
    payment = _yk_started(tenant)
    yookassa.checkout_submit(payment.provider_id, "pay")
    assert _yk_notify(client, payment.provider_id, peer=YOOKASSA_IP).status_code == 200
    response = _yk_notify(client, payment.provider_id, peer=YOOKASSA_IP, event="refund.succeeded")
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db
def test_yookassa_notification_for_a_payment_we_do_not_have_is_200_and_creates_nothing(
    yookassa, client
):
    _status, created = yookassa._create(
        {"amount": {"value": "10.00", "currency": "RUB"}, "description": "elsewhere"}, "k-x"
    )
    yookassa.checkout_submit(created["id"], "pay")
    response = _yk_notify(client, created["id"], peer=YOOKASSA_IP)
    assert response.status_code == 200
    assert not Payment.objects.unscoped().exists() and not PaymentEvent.objects.exists()


@pytest.mark.django_db
def test_yookassa_payment_created_but_our_commit_lost_is_found_by_its_metadata(
    tenant, yookassa, client
):
    real = YooKassaGateway.create_payment

    def create_then_die(self, request):
        real(self, request)
        raise SystemExit("worker killed")

    with (
        mock.patch.object(YooKassaGateway, "create_payment", create_then_die),
        pytest.raises(SystemExit),
    ):
        _yk_started(tenant)
    payment = Payment.objects.for_tenant(tenant).get()
    assert not payment.provider_id
    (provider_id,) = yookassa.payments
    yookassa.checkout_submit(provider_id, "pay")
    assert _yk_notify(client, provider_id, peer=YOOKASSA_IP).status_code == 200
    payment.refresh_from_db()
    assert payment.provider_id == provider_id and payment.status == PaymentStatus.SUCCEEDED
    assert yookassa.calls["POST payments"] == 1


@pytest.mark.django_db
def test_yookassa_renewal_retry_after_a_lost_answer_reuses_the_idempotence_key(tenant, yookassa):
    now = timezone.now()
    subscription = subscribe(
        tenant, "pro", period_start=now - timedelta(days=31), period_end=now - timedelta(hours=1)
    )
    yookassa.methods["pm-1"] = "ok"
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="yookassa", payment_method_id="pm-1"
    )
    yookassa.fail("POST payments", "lost")
    first = services.subscription_charge(subscription_id=subscription.pk, request_id="r1")
    assert first.outcome == "pending"
    second = services.subscription_charge(subscription_id=subscription.pk, request_id="r2")
    assert second.outcome == "charged" and second.payment.pk == first.payment.pk
    assert len(yookassa.payments) == 1 and yookassa.calls["POST payments"] == 2


@pytest.mark.django_db
def test_yookassa_renewal_decline_shows_the_cards_reason(tenant, yookassa):
    now = timezone.now()
    subscription = subscribe(
        tenant, "pro", period_start=now - timedelta(days=31), period_end=now - timedelta(hours=1)
    )
    yookassa.methods["pm-poor"] = "decline"
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="yookassa", payment_method_id="pm-poor"
    )
    with translation.override("en"):
        outcome = services.subscription_charge(subscription_id=subscription.pk, request_id="r1")
    assert outcome.outcome == "declined"
    assert outcome.payment.failure_reason == "Insufficient funds on the card."


@pytest.mark.django_db
def test_back_from_a_declined_yookassa_page_the_dashboard_says_why(
    tenant, yookassa, admin_client_web
):
    payment = _yk_started(tenant)
    yookassa.checkout_submit(payment.provider_id, "decline")
    url = reverse("billing:overview", args=[tenant.slug])
    with translation.override("en"):
        page = admin_client_web.get(f"{url}?payment={payment.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason
    # in the member's interface language, with the bank's reason
    assert (
        f"The payment did not go through: {payment.failure_reason}" in text
        or f"Платёж не прошёл: {payment.failure_reason}" in text
    )


@pytest.mark.django_db
def test_tbank_card_arriving_after_the_status_is_kept_for_renewals(
    tenant, tbank, tinkoff_settings, client
):
    # given a T-Bank payment the payer completed and came back from: GetState says
    # CONFIRMED but carries no RebillId
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
    tbank.pay_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    payment.refresh_from_db()
    assert (
        payment.status == PaymentStatus.SUCCEEDED and payment.subscription.payment_method_id == ""
    )
    # when the notification with the RebillId arrives afterwards
    data = {
        "TerminalKey": "TinkoffBankTest",
        "OrderId": payment.idempotency_key,
        "Success": True,
        "Status": "CONFIRMED",
        "PaymentId": int(payment.provider_id),
        "ErrorCode": "0",
        "Amount": payment.amount,
        "RebillId": 100000,
    }
    data["Token"] = make_token(data, "secret-pass")
    assert client.post("/webhooks/tinkoff/", json.dumps(data), "application/json").content == b"OK"
    # then the card is kept on the payment and the subscription
    payment.refresh_from_db()
    assert payment.payment_method_id == "100000"
    assert payment.subscription.payment_method_id == "100000"
