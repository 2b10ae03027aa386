"""The Stripe gateway's own calls (refund, metered usage, portal, what it cannot do), against
the fake Stripe API."""

import pytest

from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.payments import gateways
from apps.payments.gateways import PortalRequest
from apps.payments.models import Payment
from apps.payments.tests.requests import refund_request, saved_charge, usage_report

pytestmark = pytest.mark.django_db


def _gateway():
    return gateways.get_gateway(gateways.STRIPE)


# --- refunds, usage, renewals ---------------------------------------------------------------------


def test_refund_of_a_checkout_payment_goes_to_its_payment_intent(
    client, admin_api, tenant, stripe_env
):
    response = admin_api.post(
        f"/api/v1/tenants/{tenant.id}/billing/payments/",
        {"plan": "email_2500", "provider": "stripe"},
        format="json",
    )
    payment = Payment.objects.unscoped().get(pk=response.json()["payment_id"])
    _session, _sub, invoice = stripe_env.fake.checkout_complete(payment.provider_id)
    payment_intent = invoice["payments"]["data"][0]["payment"]["payment_intent"]

    request = refund_request(
        provider_id=payment.provider_id, amount=Money(500, "EUR"), idempotency_key="fl-refund-1"
    )
    result = _gateway().refund(request)
    again = _gateway().refund(request)

    assert result.status == "refunded"
    assert again.provider_id == result.provider_id  # Stripe answered the same refund
    calls = stripe_env.fake.calls("POST", "/v1/refunds")
    assert calls[0].params == {"payment_intent": payment_intent, "amount": "500"}
    assert {c.headers["idempotency-key"] for c in calls} == {"fl-refund-1"}
    refunds = [o for o in stripe_env.fake.objects.values() if o.get("object") == "refund"]
    assert len(refunds) == 1


def test_report_usage_sends_a_meter_event_named_by_the_idempotency_key(stripe_env):
    customer = stripe_env.fake.customer()

    identifier = _gateway().report_usage(
        usage_report(customer_id=customer["id"], quantity=7, idempotency_key="usage-run-42")
    )

    assert identifier == "usage-run-42"
    (call,) = stripe_env.fake.calls("POST", "/v1/billing/meter_events")
    assert call.params == {
        "event_name": "fastlead_enrichment",
        "identifier": "usage-run-42",
        "payload": {"stripe_customer_id": customer["id"], "value": "7"},
    }
    assert call.headers["idempotency-key"] == "usage-run-42"


def test_report_usage_without_a_meter_is_a_clear_error(settings, stripe_env):
    settings.STRIPE_METER_EVENT_ENRICHMENT = ""
    with pytest.raises(ProviderError) as error:
        _gateway().report_usage(usage_report(customer_id="cus_x", quantity=1, idempotency_key="k"))
    assert error.value.permanent
    assert error.value.code == "meter_missing"


def test_stripe_renews_itself_so_it_charges_no_saved_card(stripe_env):
    gateway = _gateway()
    assert gateway.capabilities.renews_itself
    assert not gateway.capabilities.can_charge_saved_card
    request = saved_charge(method_id="cus_x", amount=Money(1999, "EUR"), idempotency_key="k")
    with pytest.raises(ProviderError) as error:
        gateway.charge_saved(request)
    assert error.value.permanent
    assert error.value.code == "not_supported"
    assert not stripe_env.fake.requests


def test_stripe_outage_is_a_retryable_error(stripe_env):
    stripe_env.fake.fail("POST", "/v1/billing_portal/sessions", status=500, times=10)
    customer = stripe_env.fake.customer()
    with pytest.raises(ProviderError) as error:
        _gateway().customer_portal_url(
            PortalRequest(customer_id=customer["id"], return_url="https://fastlead.example/back")
        )
    assert not error.value.permanent
