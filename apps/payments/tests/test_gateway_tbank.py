"""The T-Bank client against recorded responses (T-Bank's documented v2 formats) via respx."""

import hashlib
import json

import httpx
import pytest
import respx
from django.test import RequestFactory

from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.payments.gateways import NotificationRejected
from apps.payments.gateways.tbank import TBankGateway, make_token
from apps.payments.tests.requests import hosted, saved_charge

API = "https://securepay.test/v2"
PASSWORD = "usaf8fw8fsw21g"


@pytest.fixture
def gateway():
    return TBankGateway(terminal_key="TinkoffBankTest", password=PASSWORD, api_url=API)


def _sent(route) -> dict:
    return json.loads(route.calls.last.request.content)


def _order(*payments, order_id="fl-pay-1"):
    """CheckOrder's answer: the payments T-Bank holds under our OrderId."""
    return respx.post(f"{API}/CheckOrder").mock(
        return_value=httpx.Response(
            200,
            json={
                "TerminalKey": "TinkoffBankTest",
                "OrderId": order_id,
                "Success": True,
                "ErrorCode": "0",
                "Message": "OK",
                "Payments": [
                    {
                        "PaymentId": pid,
                        "Amount": 499000,
                        "Status": status,
                        "Success": True,
                        "ErrorCode": "0",
                        "Message": "OK",
                    }
                    for pid, status in payments
                ],
            },
        )
    )


def test_token_is_sha256_of_sorted_scalar_values_with_password_and_skips_nested():
    params = {
        "TerminalKey": "TinkoffBankTest",
        "Amount": 19200,
        "OrderId": "21090",
        "Description": "Подарочная карта на 1000 рублей",
        "Recurrent": True,
        "DATA": {"Phone": "+71234567890"},
        "Receipt": {"Email": "a@test.ru", "Items": []},
        "Token": "ignored",
    }
    # sorted keys: Amount, Description, OrderId, Password, Recurrent, TerminalKey
    joined = "19200Подарочная карта на 1000 рублей21090" + PASSWORD + "trueTinkoffBankTest"
    assert make_token(params, PASSWORD) == hashlib.sha256(joined.encode()).hexdigest()


@respx.mock
def test_init_sends_kopecks_recurrent_customer_key_and_a_valid_token(gateway):
    _order()
    route = respx.post(f"{API}/Init").mock(
        return_value=httpx.Response(
            200,
            json={
                "Success": True,
                "ErrorCode": "0",
                "TerminalKey": "TinkoffBankTest",
                "Status": "NEW",
                "PaymentId": "3093639567",
                "OrderId": "fl-pay-1",
                "Amount": 29,
                "PaymentURL": "https://securepay.tinkoff.ru/new/fU1ppgqa",
            },
        )
    )
    result = gateway.create_payment(
        hosted(
            amount=Money(29, "RUB"),  # 0.29 RUB stays 29 kopecks (the PyPI package sends 28)
            description="Pro",
            idempotency_key="fl-pay-1",
            return_url="https://app.test/billing/",
            customer_ref="tenant-1",
            payment_ref="p1",
        )
    )
    body = _sent(route)
    assert body["Amount"] == 29 and body["OrderId"] == "fl-pay-1"
    assert body["Recurrent"] == "Y" and body["CustomerKey"] == "tenant-1"
    assert body["DATA"]["payment_id"] == "p1" and "Password" not in body
    assert body["Token"] == make_token(body, PASSWORD)
    assert result.provider_id == "3093639567" and result.status == "pending"
    assert result.confirmation_url == "https://securepay.tinkoff.ru/new/fU1ppgqa"


@respx.mock
def test_init_error_is_a_permanent_provider_error_with_a_safe_message(gateway):
    _order()
    respx.post(f"{API}/Init").mock(
        return_value=httpx.Response(
            200,
            json={
                "Success": False,
                "ErrorCode": "204",
                "Message": "Неверный токен. Проверьте пару TerminalKey/SecretKey.",
                "Details": "Указаны неверные данные",
            },
        )
    )
    with pytest.raises(ProviderError) as info:
        gateway.create_payment(
            hosted(amount=Money(100, "RUB"), description="x", idempotency_key="k", return_url="")
        )
    assert info.value.permanent and info.value.code == "204"
    assert "TerminalKey" not in info.value.user_message


@respx.mock
def test_timeout_and_5xx_are_transient(gateway):
    _order()
    respx.post(f"{API}/Init").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderError) as info:
        gateway.create_payment(
            hosted(amount=Money(100, "RUB"), description="x", idempotency_key="k", return_url="")
        )
    assert not info.value.permanent and info.value.retry_after
    respx.post(f"{API}/GetState").mock(return_value=httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(ProviderError) as info:
        gateway.fetch("1")
    assert not info.value.permanent


@respx.mock
def test_get_state_maps_confirmed_to_succeeded(gateway):
    respx.post(f"{API}/GetState").mock(
        return_value=httpx.Response(
            200,
            json={
                "Success": True,
                "ErrorCode": "0",
                "Message": "OK",
                "TerminalKey": "TinkoffBankTest",
                "Status": "CONFIRMED",
                "PaymentId": "3093639567",
                "OrderId": "fl-pay-1",
                "Amount": 499000,
            },
        )
    )
    assert gateway.fetch("3093639567").status == "succeeded"


@respx.mock
def test_charge_on_rebill_id_and_its_decline(gateway):
    _order()
    respx.post(f"{API}/Init").mock(
        return_value=httpx.Response(
            200, json={"Success": True, "ErrorCode": "0", "Status": "NEW", "PaymentId": "700"}
        )
    )
    charge = respx.post(f"{API}/Charge").mock(
        return_value=httpx.Response(
            200,
            json={
                "Success": False,
                "ErrorCode": "1051",
                "Message": "Недостаточно средств на карте",
                "TerminalKey": "TinkoffBankTest",
                "Status": "REJECTED",
                "PaymentId": "700",
                "OrderId": "fl-renew-1",
                "Amount": 499000,
            },
        )
    )
    with pytest.raises(ProviderError) as info:
        gateway.charge_saved(
            saved_charge(
                method_id="145919", amount=Money(499000, "RUB"), idempotency_key="fl-renew-1"
            )
        )
    assert info.value.permanent and info.value.code == "1051"
    assert _sent(charge)["RebillId"] == "145919" and _sent(charge)["PaymentId"] == "700"


def _notification(**overrides) -> dict:
    data = {
        "TerminalKey": "TinkoffBankTest",
        "OrderId": "fl-pay-1",
        "Success": True,
        "Status": "CONFIRMED",
        "PaymentId": 3093639567,
        "ErrorCode": "0",
        "Amount": 499000,
        "RebillId": 145919,
        "CardId": 322264,
        "Pan": "430000******0777",
        "ExpDate": "1122",
    }
    data.update(overrides)
    data["Token"] = make_token(data, PASSWORD)
    return data


def _request(data: dict):
    return RequestFactory().post("/webhooks/tinkoff/", json.dumps(data), "application/json")


def test_notification_with_good_token_is_parsed(gateway):
    event = gateway.parse_notification(_request(_notification()))
    assert event.status == "succeeded" and event.provider_payment_id == "3093639567"
    assert event.payment_method_id == "145919" and event.event_id == "3093639567:CONFIRMED"
    assert "Token" not in event.raw


def test_notification_with_bad_token_or_tampered_amount_is_rejected(gateway):
    data = _notification()
    data["Amount"] = 1
    with pytest.raises(NotificationRejected):
        gateway.parse_notification(_request(data))
    with pytest.raises(NotificationRejected):
        gateway.parse_notification(_request({**_notification(), "Token": "0" * 64}))
    with pytest.raises(NotificationRejected):
        gateway.parse_notification(_request({"Status": "CONFIRMED"}))
