"""Fixtures for the Stripe tests: the fake Stripe API, settings pointing at it, and the
dj-stripe rows a real installation has (APIKey + Account, so dj-stripe does not look the
account up on every sync, and a WebhookEndpoint with its signing secret)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import stripe

from apps.billing.models import Plan
from apps.billing.tests.stripe_fake import ACCOUNT_ID, API_VERSION, FakeStripe, signed_headers

SECRET_KEY = "sk_test_FastLeadFakeKey0123456789abcdef"
WEBHOOK_SECRET = "whsec_FastLeadFakeWebhookSecret0123"


@dataclass
class StripeEnv:
    fake: FakeStripe
    endpoint: object
    price: dict

    @property
    def webhook_url(self) -> str:
        return f"/webhooks/stripe/webhook/{self.endpoint.djstripe_uuid}/"

    def deliver(self, client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp=None):
        """POST `event` to dj-stripe's endpoint, signed as Stripe signs it."""
        body = json.dumps(event)
        return client.post(
            self.webhook_url,
            data=body,
            content_type="application/json",
            **signed_headers(body, secret, timestamp=timestamp),
        )


@pytest.fixture
def stripe_fake():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_env(db, settings, monkeypatch, stripe_fake) -> StripeEnv:
    from djstripe.models import Account, APIKey, WebhookEndpoint

    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = stripe_fake.url
    settings.STRIPE_API_VERSION = API_VERSION
    settings.STRIPE_METER_EVENT_ENRICHMENT = "fastlead_enrichment"
    # dj-stripe's own syncs use the SDK's global base address.
    monkeypatch.setattr(stripe, "api_base", stripe_fake.url)
    account = Account.objects.create(
        id=ACCOUNT_ID, livemode=False, stripe_data=stripe_fake.account()
    )
    APIKey.objects.create(
        secret=SECRET_KEY, type="secret", livemode=False, djstripe_owner_account=account
    )
    endpoint = WebhookEndpoint.objects.create(
        id="we_1FakeFastLead",
        livemode=False,
        secret=WEBHOOK_SECRET,
        url="https://fastlead.example/webhooks/stripe/",
        enabled_events=["*"],
        status="enabled",
        api_version=API_VERSION,
        djstripe_owner_account=account,
    )
    price = stripe_fake.price(product="fastlead_email_2500", amount=1999, lookup_key="email_2500")
    plan = Plan.objects.get(code="email_2500")
    plan.provider_price_ids = {"stripe": price["id"]}
    plan.save(update_fields=["provider_price_ids"])
    return StripeEnv(fake=stripe_fake, endpoint=endpoint, price=price)
