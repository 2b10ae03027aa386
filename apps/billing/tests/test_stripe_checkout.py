"""EUR plans through Stripe: Checkout, dj-stripe's signed webhooks, our subscription state.

The real `stripe` SDK and dj-stripe talk to a fake Stripe API on 127.0.0.1 (stripe_fake.py).
"""

import time

import pytest
from django.urls import reverse
from djstripe.models import Event
from djstripe.models import Subscription as DjSubscription

from apps.billing.models import BillingEvent, BillingEventKind, Plan, Subscription
from apps.billing.services.renewals import subscriptions_eligible
from apps.billing.tests.helpers import subscribe
from apps.features.selectors import entitlements_get
from apps.payments import gateways
from apps.payments.models import Payment, PaymentEvent, PaymentStatus

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def _payments_url(tenant):
    return f"/api/v1/tenants/{tenant.id}/billing/payments/"


def _start(admin_api, tenant):
    response = admin_api.post(
        _payments_url(tenant), {"plan": "email_2500", "provider": "stripe"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_eur_plans_use_stripe_only_when_configured(settings, stripe_env):
    assert gateways.providers_for("EUR") == ["stripe"]
    settings.STRIPE_SECRET_KEY = ""
    assert gateways.providers_for("EUR") == (
        ["sandbox"] if settings.PAYMENTS_RUB_PROVIDER == "sandbox" else []
    )


def test_payment_opens_a_subscription_checkout_for_the_plan_price(admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)

    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    assert body["provider"] == "stripe"
    assert body["amount"] == {"amount": 1999, "currency": "EUR"}
    assert body["confirmation_url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert payment.provider_id.startswith("cs_test_")
    assert payment.status == PaymentStatus.PENDING
    (call,) = stripe_env.fake.calls("POST", "/v1/checkout/sessions")
    assert call.params["mode"] == "subscription"
    assert call.params["line_items"] == [{"price": stripe_env.price["id"], "quantity": "1"}]
    assert call.params["client_reference_id"] == str(payment.pk)
    assert call.params["metadata"]["payment_id"] == str(payment.pk)
    assert call.params["metadata"]["tenant_id"] == str(tenant.pk)
    assert call.params["subscription_data"]["metadata"]["payment_id"] == str(payment.pk)
    assert call.headers["idempotency-key"] == payment.idempotency_key
    assert call.headers["stripe-version"] == "2026-05-27.dahlia"
    assert "?payment=" in call.params["success_url"]


def test_a_plan_without_a_stripe_price_is_refused_clearly(admin_api, tenant, stripe_env):
    Plan.objects.filter(code="email_2500").update(provider_price_ids={})
    response = admin_api.post(
        _payments_url(tenant), {"plan": "email_2500", "provider": "stripe"}, format="json"
    )
    assert response.status_code in (400, 402)
    assert "Stripe" in response.json()["error"]["message"]
    assert not stripe_env.fake.calls("POST", "/v1/checkout/sessions")


def test_stripe_down_answers_503(admin_api, tenant, stripe_env):
    stripe_env.fake.fail("POST", "/v1/checkout/sessions", status=503, times=10)
    response = admin_api.post(
        _payments_url(tenant), {"plan": "email_2500", "provider": "stripe"}, format="json"
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_unavailable"
    payment = Payment.objects.unscoped().get(tenant=tenant)
    assert payment.status == PaymentStatus.FAILED


def test_end_to_end_checkout_webhook_activates_email_2500(client, admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)
    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    session, stripe_sub, _invoice = stripe_env.fake.checkout_complete(payment.provider_id)

    response = stripe_env.deliver(
        client, stripe_env.fake.event("checkout.session.completed", session)
    )

    assert response.status_code == 200, response.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    subscription = Subscription.objects.unscoped().get(tenant=tenant, status="active")
    assert subscription.plan.code == "email_2500"
    assert subscription.provider == "stripe"
    assert subscription.provider_ref == stripe_sub["id"]
    assert subscription.payment_method_id == stripe_sub["customer"]
    # Stripe's period end is ours.
    assert (
        int(subscription.current_period_end.timestamp())
        == (stripe_sub["items"]["data"][0]["current_period_end"])
    )
    entitlements = entitlements_get(tenant)
    assert entitlements.plan_code == "email_2500"
    assert entitlements.lead_limit == 2500
    assert (
        BillingEvent.objects.unscoped()
        .filter(tenant=tenant, kind=BillingEventKind.PAYMENT_SUCCEEDED)
        .exists()
    )
    # dj-stripe verified the event and synced the Stripe objects into its models.

    assert Event.objects.filter(type="checkout.session.completed").count() == 1
    assert DjSubscription.objects.filter(id=stripe_sub["id"]).exists()
    # Stripe renews it: our renewal endpoint does not list it even when due.
    Subscription.objects.unscoped().filter(pk=subscription.pk).update(
        current_period_end=subscription.current_period_start.replace(year=2000),
        current_period_start=subscription.current_period_start.replace(year=1999),
    )
    assert not subscriptions_eligible().filter(pk=subscription.pk).exists()


def test_back_from_checkout_the_page_asks_stripe(admin_client_web, admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)
    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    stripe_env.fake.checkout_complete(payment.provider_id)

    url = reverse("billing:overview", args=[tenant.slug]) + f"?payment={payment.pk}"
    assert admin_client_web.get(url).status_code == 200

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Subscription.objects.unscoped().get(tenant=tenant, status="active").provider == "stripe"


def test_wrong_signature_is_rejected_and_changes_nothing(client, admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)
    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    session, _sub, _inv = stripe_env.fake.checkout_complete(payment.provider_id)
    event = stripe_env.fake.event("checkout.session.completed", session)

    response = stripe_env.deliver(client, event, secret="whsec_someone_else")

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not Subscription.objects.unscoped().filter(tenant=tenant, status="active").exists()
    assert not PaymentEvent.objects.filter(provider="stripe").exists()


def test_an_unsigned_request_is_rejected(client, stripe_env):
    response = client.post(stripe_env.webhook_url, data="{}", content_type="application/json")
    assert response.status_code == 400


def test_an_old_signature_is_rejected(client, admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)
    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    session, _sub, _inv = stripe_env.fake.checkout_complete(payment.provider_id)
    event = stripe_env.fake.event("checkout.session.completed", session)

    response = stripe_env.deliver(client, event, timestamp=int(time.time()) - 3600)

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_replayed_event_does_nothing(client, admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)
    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    session, _sub, _inv = stripe_env.fake.checkout_complete(payment.provider_id)
    event = stripe_env.fake.event("checkout.session.completed", session)
    assert stripe_env.deliver(client, event).status_code == 200
    history = BillingEvent.objects.unscoped().filter(tenant=tenant).count()
    fetched = len(stripe_env.fake.requests)

    assert stripe_env.deliver(client, event).status_code == 200

    assert Subscription.objects.unscoped().filter(tenant=tenant, status="active").count() == 1
    assert BillingEvent.objects.unscoped().filter(tenant=tenant).count() == history
    assert PaymentEvent.objects.filter(provider="stripe").count() == 1
    assert len(stripe_env.fake.requests) == fetched  # not even re-fetched from Stripe


def test_unknown_checkout_session_is_answered_and_ignored(client, tenant, stripe_env):
    session = stripe_env.fake.add(
        {
            "id": "cs_test_unknown",
            "object": "checkout.session",
            "client_reference_id": "00000000-0000-0000-0000-000000000000",
            "customer": None,
            "subscription": None,
            "payment_intent": None,
            "setup_intent": None,
            "invoice": None,
            "livemode": False,
            "created": 1700000000,
            "metadata": {},
            "mode": "subscription",
            "payment_status": "paid",
            "status": "complete",
        }
    )
    response = stripe_env.deliver(
        client, stripe_env.fake.event("checkout.session.completed", session)
    )
    assert response.status_code == 200
    assert PaymentEvent.objects.get(provider="stripe").status == "unknown"
    assert not Subscription.objects.unscoped().filter(tenant=tenant, provider="stripe").exists()


def _earlier_stripe_customer(tenant, customer_id):
    old = subscribe(tenant, "email_unlimited")
    Subscription.objects.unscoped().filter(pk=old.pk).update(
        provider="stripe", provider_ref="sub_old", payment_method_id=customer_id, status="canceled"
    )


def test_a_returning_company_pays_as_its_earlier_stripe_customer(admin_api, tenant, stripe_env):
    customer = stripe_env.fake.customer()
    _earlier_stripe_customer(tenant, customer["id"])

    _start(admin_api, tenant)

    (call,) = stripe_env.fake.calls("POST", "/v1/checkout/sessions")
    assert call.params["customer"] == customer["id"]


def test_a_customer_deleted_at_stripe_gets_a_new_one(admin_api, tenant, stripe_env):
    _earlier_stripe_customer(tenant, "cus_deleted")

    body = _start(admin_api, tenant)

    first, second = stripe_env.fake.calls("POST", "/v1/checkout/sessions")
    assert first.params["customer"] == "cus_deleted"
    assert "customer" not in second.params
    assert body["confirmation_url"].startswith("https://checkout.stripe.com/")


def test_an_expired_checkout_cancels_the_payment(client, admin_api, tenant, stripe_env):
    body = _start(admin_api, tenant)
    payment = Payment.objects.unscoped().get(pk=body["payment_id"])
    session = stripe_env.fake.objects[payment.provider_id]
    session["status"] = "expired"

    response = stripe_env.deliver(
        client, stripe_env.fake.event("checkout.session.expired", session)
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED
    assert payment.failure_reason == "The payment page expired."
    assert not Subscription.objects.unscoped().filter(tenant=tenant, status="active").exists()
