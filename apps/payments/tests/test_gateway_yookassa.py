"""The YooKassa adapter: the real `yookassa` SDK against recorded API responses (YooKassa's
documented v3 formats) served by `responses` (the SDK sends through `requests`)."""

import json

import pytest
import requests
import responses
from django.test import RequestFactory
from django.utils import translation

from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.payments.gateways import NotificationRejected
from apps.payments.gateways.yookassa import YooKassaGateway
from apps.payments.tests.requests import hosted, saved_charge

API = "https://yookassa.test/v3"
PAYMENT_ID = "22e12f66-000f-5000-8000-18db351245c7"


def _payment(status="pending", **extra) -> dict:
    data = {
        "id": PAYMENT_ID,
        "status": status,
        "paid": status == "succeeded",
        "amount": {"value": "4990.00", "currency": "RUB"},
        "confirmation": {
            "type": "redirect",
            "confirmation_url": "https://yoomoney.ru/api-pages/v2/payment-confirm/epl?orderId="
            + PAYMENT_ID,
        },
        "created_at": "2026-11-23T06:00:00.000Z",
        "description": "Fast Lead, Pro",
        "metadata": {},
        "recipient": {"account_id": "100500", "gateway_id": "100700"},
        "refundable": False,
        "test": True,
    }
    data.update(extra)
    return data


@pytest.fixture
def gateway():
    return YooKassaGateway(shop_id="100500", secret_key="test_secret", api_url=API, check_ip=True)


@responses.activate
def test_create_sends_idempotence_key_kopeck_exact_amount_and_saves_the_method(gateway):
    responses.post(f"{API}/payments", json=_payment())
    result = gateway.create_payment(
        hosted(
            amount=Money(499029, "RUB"),
            description="Fast Lead, Pro",
            idempotency_key="fl-pay-1",
            return_url="https://app.test/t/acme/billing/",
        )
    )
    sent = responses.calls[0].request
    body = json.loads(sent.body)
    assert sent.headers["Idempotence-Key"] == "fl-pay-1"
    assert sent.headers["Authorization"].startswith("Basic ")
    assert body["amount"] == {"value": "4990.29", "currency": "RUB"}
    assert body["save_payment_method"] is True and body["capture"] is True
    assert body["confirmation"]["type"] == "redirect"
    assert result.provider_id == PAYMENT_ID and result.status == "pending"
    assert result.confirmation_url.startswith("https://yoomoney.ru/")


def test_every_request_has_a_timeout(gateway, monkeypatch):
    seen = {}

    def fake_send(self, request, **kwargs):
        seen["timeout"] = kwargs.get("timeout")
        raise requests.ConnectTimeout("slow")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    with pytest.raises(ProviderError) as info:
        gateway.fetch(PAYMENT_ID)
    assert seen["timeout"] == (5.0, 20.0)
    assert not info.value.permanent


@responses.activate
def test_server_error_is_transient_and_bad_request_permanent(gateway):
    responses.get(f"{API}/payments/{PAYMENT_ID}", status=500, json={"type": "error"})
    with pytest.raises(ProviderError) as info:
        gateway.fetch(PAYMENT_ID)
    assert not info.value.permanent
    responses.post(
        f"{API}/payments",
        status=400,
        json={"type": "error", "code": "invalid_request", "description": "Invalid amount"},
    )
    with pytest.raises(ProviderError) as info:
        gateway.create_payment(
            hosted(amount=Money(100, "RUB"), description="x", idempotency_key="k", return_url="x")
        )
    assert info.value.permanent


@responses.activate
def test_renewal_decline_carries_a_user_safe_reason(gateway):
    responses.post(
        f"{API}/payments",
        json=_payment(
            "canceled",
            confirmation=None,
            cancellation_details={"party": "payment_network", "reason": "insufficient_funds"},
        ),
    )
    with translation.override("en"), pytest.raises(ProviderError) as info:
        gateway.charge_saved(
            saved_charge(method_id="pm-1", amount=Money(499000, "RUB"), idempotency_key="r1")
        )
    assert info.value.permanent and "Insufficient funds" in info.value.user_message
    assert json.loads(responses.calls[0].request.body)["payment_method_id"] == "pm-1"


def _notification(ip: str, status: str = "succeeded"):
    body = {"type": "notification", "event": f"payment.{status}", "object": _payment(status)}
    return RequestFactory().post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR=ip
    )


@responses.activate
def test_notification_status_comes_from_the_api_not_the_body(gateway):
    # The body claims success; the API says the payment is still pending.
    responses.get(f"{API}/payments/{PAYMENT_ID}", json=_payment("pending"))
    event = gateway.parse_notification(_notification("185.71.76.10"))
    assert event.status == "pending" and event.provider_payment_id == PAYMENT_ID
    responses.get(
        f"{API}/payments/{PAYMENT_ID}",
        json=_payment(
            "succeeded", payment_method={"type": "bank_card", "id": "pm-9", "saved": True}
        ),
    )
    event = gateway.parse_notification(_notification("185.71.76.10"))
    assert event.status == "succeeded" and event.payment_method_id == "pm-9"


def test_notification_from_an_unlisted_address_is_rejected(gateway):
    with pytest.raises(NotificationRejected):
        gateway.parse_notification(_notification("203.0.113.5"))


@responses.activate
def test_notification_for_a_payment_yookassa_does_not_know_is_rejected(gateway):
    responses.get(
        f"{API}/payments/{PAYMENT_ID}", status=404, json={"type": "error", "code": "not_found"}
    )
    with pytest.raises(NotificationRejected):
        gateway.parse_notification(_notification("185.71.76.10"))


def test_a_request_the_sdk_refuses_is_a_permanent_provider_error(gateway):
    with pytest.raises(ProviderError) as info:
        gateway.create_payment(
            hosted(amount=Money(100, "RUB"), description="x", idempotency_key="k", return_url="")
        )
    assert info.value.permanent
