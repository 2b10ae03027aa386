"""The seams payments offers the apps above it: gateway capabilities, typed requests that
never reach our database, and the purpose registry billing fills at start-up."""

import dataclasses

import pytest

from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.payments import gateways, purposes
from apps.payments.gateways import (
    HostedPaymentRequest,
    PortalRequest,
    SavedMethodCharge,
    UsageReport,
)
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import PaymentKind
from apps.payments.tests.requests import hosted, saved_charge

# --- capabilities --------------------------------------------------------------------------


def test_each_provider_declares_what_it_can_do():
    assert gateways.capabilities("stripe").renews_itself
    assert gateways.capabilities("stripe").meters_usage
    assert gateways.capabilities("stripe").has_customer_portal
    assert not gateways.capabilities("stripe").can_charge_saved_card
    for name in ("yookassa", "tinkoff"):
        caps = gateways.capabilities(name)
        assert caps.can_charge_saved_card and caps.notifies_us
        assert not (caps.renews_itself or caps.meters_usage or caps.has_customer_portal)
    sandbox = gateways.capabilities("sandbox")
    assert sandbox.can_charge_saved_card and not sandbox.reports_status


def test_an_unknown_provider_can_do_nothing():
    assert gateways.capabilities("") == gateways.Capabilities(reports_status=False)
    assert not gateways.capabilities("nope").can_charge_saved_card


def test_callers_select_providers_by_capability():
    assert gateways.providers_with(renews_itself=True) == ["stripe"]
    assert gateways.providers_with(meters_usage=True) == ["stripe"]
    assert gateways.providers_with(has_customer_portal=True) == ["stripe"]
    assert set(gateways.providers_with(can_charge_saved_card=True)) == {
        "sandbox",
        "yookassa",
        "tinkoff",
    }


def test_an_operation_a_gateway_does_not_offer_is_a_permanent_error():
    gateway = SandboxGateway()
    with pytest.raises(ProviderError) as error:
        gateway.report_usage(UsageReport(customer_id="c", quantity=1, idempotency_key="k"))
    assert error.value.permanent and error.value.code == "not_supported"
    with pytest.raises(ProviderError) as error:
        gateway.customer_portal_url(PortalRequest(customer_id="c", return_url="/"))
    assert error.value.permanent and error.value.user_message


# --- typed requests ------------------------------------------------------------------------


def test_requests_are_frozen_values_in_minor_units():
    request = hosted(amount=Money(499000, "RUB"), idempotency_key="k")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.idempotency_key = "other"  # type: ignore[misc]
    assert request.amount == Money(499000, "RUB")
    assert {f.name for f in dataclasses.fields(HostedPaymentRequest)} >= {
        "customer_ref",
        "payment_ref",
        "amount",
        "purpose",
        "description",
        "return_url",
        "idempotency_key",
        "saved_method",
    }
    assert {f.name for f in dataclasses.fields(SavedMethodCharge)} >= {
        "customer_ref",
        "method_id",
        "amount",
        "purpose",
        "idempotency_key",
    }


@pytest.mark.django_db
def test_the_sandbox_answers_from_the_request_alone(django_assert_num_queries):
    request = hosted(
        amount=Money(100, "RUB"), idempotency_key="fl-1", test_page_url="/t/acme/sandbox/1/"
    )
    with django_assert_num_queries(0):
        result = SandboxGateway().create_payment(request)
        charged = SandboxGateway().charge_saved(
            saved_charge(method_id="sandbox_card_1", amount=Money(100, "RUB"), idempotency_key="r")
        )
    assert result.confirmation_url == "/t/acme/sandbox/1/" and result.status == "pending"
    assert charged.status == "succeeded"


@pytest.mark.django_db
def test_stripe_takes_price_and_customer_from_the_request_not_the_database(
    stripe_env, django_assert_num_queries
):
    customer = stripe_env.fake.customer()
    price_id = stripe_env.price["id"]
    request = hosted(
        amount=Money(1999, "EUR"),
        idempotency_key="fl-pay-stripe-1",
        payment_ref="00000000-0000-0000-0000-000000000001",
        customer_ref="tenant-1",
        price_ref=price_id,
        saved_method=customer["id"],
    )
    gateway = gateways.get_gateway(gateways.STRIPE)
    with django_assert_num_queries(0):
        result = gateway.create_payment(request)
    (call,) = stripe_env.fake.calls("POST", "/v1/checkout/sessions")
    assert call.params["line_items"][0]["price"] == price_id
    assert call.params["customer"] == customer["id"]
    assert call.params["client_reference_id"] == request.payment_ref
    assert call.params["metadata"] == {"payment_id": request.payment_ref, "tenant_id": "tenant-1"}
    assert result.confirmation_url


@pytest.mark.django_db
def test_stripe_without_a_price_is_a_clear_permanent_error(stripe_env):
    gateway = gateways.get_gateway(gateways.STRIPE)
    with pytest.raises(ProviderError) as error:
        gateway.create_payment(hosted(amount=Money(1999, "EUR"), idempotency_key="k"))
    assert error.value.permanent and error.value.code == "stripe_price_missing"
    assert not stripe_env.fake.requests


# --- the purpose registry ------------------------------------------------------------------


def test_billing_registers_every_purpose_at_start_up():
    registered = purposes.registered()
    assert set(registered) == {kind.value for kind in PaymentKind}
    assert registered["renewal"].on_failed is not None  # dunning
    assert registered["proration"].on_failed is not None  # the credit part goes back
    assert all(handlers.on_succeeded for handlers in registered.values())
    assert all(handlers.invoice_lines for handlers in registered.values())


def test_a_registered_purpose_is_called_and_an_unknown_one_does_nothing(monkeypatch):
    monkeypatch.setattr(purposes, "_registry", {})
    seen = []
    purposes.register("test", on_succeeded=lambda p: seen.append(("ok", p)) or True)
    purposes.register("test", on_succeeded=lambda p: seen.append(("again", p)))  # replaces

    class FakePayment:
        kind = "test"

    payment = FakePayment()
    assert purposes.payment_succeeded(payment) is False
    assert seen == [("again", payment)]
    FakePayment.kind = "nobody"
    assert purposes.payment_succeeded(payment) is False
    purposes.payment_failed(payment)
    purposes.payment_refunded(payment, refund=None)
    assert seen == [("again", payment)]
