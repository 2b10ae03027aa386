"""The Stripe catalog sync command and the customer portal button, against the fake Stripe
API (the gateway's own calls are tested in apps/payments/tests/test_gateway_stripe.py)."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from djstripe.models import Price as DjPrice
from djstripe.models import Product as DjProduct

from apps.billing.models import Plan, Subscription
from apps.billing.tests.helpers import subscribe

pytestmark = pytest.mark.django_db


# --- catalog -------------------------------------------------------------------------------------


def test_billing_stripe_sync_creates_products_and_prices_once(stripe_env):
    fake = stripe_env.fake
    Plan.objects.filter(code="email_2500").update(provider_price_ids={})
    fake.objects.clear()  # a fresh Stripe account

    call_command("billing_stripe_sync")

    plans = {p.code: p for p in Plan.objects.filter(currency="EUR", trial_days=0)}
    assert set(plans) >= {"email_2500", "email_unlimited"}
    for code in ("email_2500", "email_unlimited"):
        price_id = plans[code].provider_price_ids["stripe"]
        price = fake.objects[price_id]
        assert price["lookup_key"] == code
        assert price["unit_amount"] == plans[code].price_amount
        assert price["currency"] == "eur"
        assert price["recurring"]["interval"] == "month"
        assert price["product"] == f"fastlead_{code}"
        assert DjPrice.objects.filter(id=price_id).exists()
        assert DjProduct.objects.filter(id=f"fastlead_{code}").exists()
    prices_before = len(fake.calls("POST", "/v1/prices"))

    call_command("billing_stripe_sync")  # idempotent

    assert len(fake.calls("POST", "/v1/prices")) == prices_before
    assert len(fake.calls("POST", "/v1/products")) == len(plans)


def test_a_new_plan_price_makes_a_new_stripe_price_that_takes_the_lookup_key(stripe_env):
    fake = stripe_env.fake
    call_command("billing_stripe_sync")
    plan = Plan.objects.get(code="email_2500")
    old_price = plan.provider_price_ids["stripe"]
    plan.price_amount = 2499
    plan.save(update_fields=["price_amount"])

    call_command("billing_stripe_sync")

    plan.refresh_from_db()
    new_price = plan.provider_price_ids["stripe"]
    assert new_price != old_price
    assert fake.objects[new_price]["unit_amount"] == 2499
    assert fake.objects[new_price]["lookup_key"] == "email_2500"
    assert fake.objects[old_price]["lookup_key"] is None
    assert fake.objects[old_price]["active"] is False


def test_sync_without_stripe_keys_says_so(settings, db):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(CommandError, match="STRIPE_SECRET_KEY"):
        call_command("billing_stripe_sync")


# --- customer portal ------------------------------------------------------------------------------


def _stripe_subscription(tenant, stripe_env):
    customer = stripe_env.fake.customer()
    subscription = subscribe(tenant, "email_2500")
    Subscription.objects.unscoped().filter(pk=subscription.pk).update(
        provider="stripe", provider_ref="sub_test_portal", payment_method_id=customer["id"]
    )
    return customer


def test_portal_button_opens_the_stripe_customer_portal(admin_client_web, tenant, stripe_env):
    customer = _stripe_subscription(tenant, stripe_env)
    page = admin_client_web.get(reverse("billing:overview", args=[tenant.slug]))
    assert reverse("billing_stripe:portal", args=[tenant.slug]) in page.content.decode()

    response = admin_client_web.post(reverse("billing_stripe:portal", args=[tenant.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    (call,) = stripe_env.fake.calls("POST", "/v1/billing_portal/sessions")
    assert call.params["customer"] == customer["id"]
    assert call.params["return_url"].endswith(reverse("billing:overview", args=[tenant.slug]))


def test_no_portal_without_a_stripe_subscription(admin_client_web, tenant, stripe_env):
    subscribe(tenant, "email_2500")
    page = admin_client_web.get(reverse("billing:overview", args=[tenant.slug]))
    assert reverse("billing_stripe:portal", args=[tenant.slug]) not in page.content.decode()

    response = admin_client_web.post(reverse("billing_stripe:portal", args=[tenant.slug]))

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:overview", args=[tenant.slug])
    assert not stripe_env.fake.calls("POST", "/v1/billing_portal/sessions")


def test_portal_is_for_admins_only(operator_client_web, tenant, stripe_env):
    _stripe_subscription(tenant, stripe_env)
    response = operator_client_web.post(reverse("billing_stripe:portal", args=[tenant.slug]))
    assert response.status_code in (403, 404)
    assert not stripe_env.fake.calls("POST", "/v1/billing_portal/sessions")
