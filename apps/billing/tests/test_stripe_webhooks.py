"""Stripe subscription and invoice webhooks (through dj-stripe) drive our subscription:
status, period, renewals, failures; replays and out-of-order events never regress it."""

import time
from datetime import UTC, datetime

import pytest

from apps.billing.models import (
    BillingEvent,
    BillingEventKind,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.dunning import subscriptions_retry_due
from apps.billing.stripe_sync import stripe_event_apply
from apps.features.selectors import entitlements_get
from apps.payments.models import Payment, PaymentKind, PaymentStatus

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def linked(client, admin_api, tenant, stripe_env):
    """A tenant that paid email_2500 through Checkout: our subscription is Stripe's."""
    response = admin_api.post(
        f"/api/v1/tenants/{tenant.id}/billing/payments/",
        {"plan": "email_2500", "provider": "stripe"},
        format="json",
    )
    payment = Payment.objects.unscoped().get(pk=response.json()["payment_id"])
    session, stripe_sub, _invoice = stripe_env.fake.checkout_complete(payment.provider_id)
    event = stripe_env.fake.event("checkout.session.completed", session)
    assert stripe_env.deliver(client, event).status_code == 200
    subscription = Subscription.objects.unscoped().get(tenant=tenant, provider_ref=stripe_sub["id"])
    return subscription, stripe_sub


def _ours(subscription) -> Subscription:
    return Subscription.objects.unscoped().get(pk=subscription.pk)


def _history(tenant, kind) -> list[BillingEvent]:
    return list(BillingEvent.objects.unscoped().filter(tenant=tenant, kind=kind))


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def test_subscription_updates_map_status_and_cancel_at_period_end(
    client, tenant, stripe_env, linked
):
    subscription, stripe_sub = linked
    stripe_sub["status"] = "past_due"
    event = stripe_env.fake.event("customer.subscription.updated", stripe_sub)
    assert stripe_env.deliver(client, event).status_code == 200
    assert _ours(subscription).status == SubscriptionStatus.PAST_DUE

    stripe_sub.update(status="active", cancel_at_period_end=True)
    event = stripe_env.fake.event("customer.subscription.updated", stripe_sub)
    assert stripe_env.deliver(client, event).status_code == 200
    ours = _ours(subscription)
    assert ours.status == SubscriptionStatus.ACTIVE
    assert ours.cancel_at_period_end is True
    assert _history(tenant, BillingEventKind.CANCEL_SCHEDULED)


def test_pause_and_resume(client, tenant, stripe_env, linked, django_capture_on_commit_callbacks):
    subscription, stripe_sub = linked
    stripe_sub["status"] = "paused"
    with django_capture_on_commit_callbacks(execute=True):
        stripe_env.deliver(
            client, stripe_env.fake.event("customer.subscription.updated", stripe_sub)
        )
    ours = _ours(subscription)
    assert ours.status == SubscriptionStatus.PAUSED
    assert ours.paused_at is not None
    assert entitlements_get(tenant).is_read_only

    stripe_sub["status"] = "active"
    with django_capture_on_commit_callbacks(execute=True):
        stripe_env.deliver(
            client, stripe_env.fake.event("customer.subscription.updated", stripe_sub)
        )
    assert _ours(subscription).status == SubscriptionStatus.ACTIVE
    assert entitlements_get(tenant).is_active
    assert _history(tenant, BillingEventKind.PAUSED)
    assert _history(tenant, BillingEventKind.RESUMED)


def test_deleted_subscription_is_canceled_and_the_plan_ends(
    client, tenant, stripe_env, linked, django_capture_on_commit_callbacks
):
    subscription, stripe_sub = linked
    assert entitlements_get(tenant).plan_code == "email_2500"
    stripe_sub.update(status="canceled", ended_at=int(time.time()), canceled_at=int(time.time()))
    event = stripe_env.fake.event("customer.subscription.deleted", stripe_sub)

    with django_capture_on_commit_callbacks(execute=True):
        assert stripe_env.deliver(client, event).status_code == 200

    ours = _ours(subscription)
    assert ours.status == SubscriptionStatus.CANCELED
    assert ours.ended_at is not None
    assert _history(tenant, BillingEventKind.CANCELED)
    entitlements = entitlements_get(tenant)
    assert entitlements.is_read_only  # the trial's path: read-only for the grace, then blocked
    assert entitlements.read_only_until is not None


def test_renewal_invoice_paid_records_a_payment_and_moves_the_period(
    client, tenant, stripe_env, linked
):
    subscription, stripe_sub = linked
    invoice = stripe_env.fake.subscription_renew(stripe_sub["id"])
    event = stripe_env.fake.event("invoice.paid", invoice)

    assert stripe_env.deliver(client, event).status_code == 200

    payment = Payment.objects.unscoped().get(provider="stripe", provider_id=invoice["id"])
    assert payment.kind == PaymentKind.RENEWAL
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount == 1999
    assert payment.currency == "EUR"
    assert payment.subscription_id == subscription.pk
    period = invoice["lines"]["data"][0]["period"]
    ours = _ours(subscription)
    assert _ts(ours.current_period_start) == period["start"]
    assert _ts(ours.current_period_end) == period["end"]
    assert ours.status == SubscriptionStatus.ACTIVE

    # The same invoice announced again (a new event id, e.g. invoice.paid after a manual
    # resend) adds nothing.
    again = stripe_env.fake.event("invoice.paid", invoice)
    assert stripe_env.deliver(client, again).status_code == 200
    assert (
        Payment.objects.unscoped().filter(provider="stripe", provider_id=invoice["id"]).count() == 1
    )
    assert _ts(_ours(subscription).current_period_end) == period["end"]


def test_failed_renewal_goes_past_due_then_stripe_retry_succeeds(
    client, tenant, stripe_env, linked
):
    subscription, stripe_sub = linked
    invoice = stripe_env.fake.subscription_renew(stripe_sub["id"], paid=False)
    invoice["last_finalization_error"] = {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
    }
    event = stripe_env.fake.event("invoice.payment_failed", invoice)

    assert stripe_env.deliver(client, event).status_code == 200

    ours = _ours(subscription)
    assert ours.status == SubscriptionStatus.PAST_DUE
    assert ours.last_failure_reason == "Insufficient funds on the card."
    failed = Payment.objects.unscoped().get(provider="stripe", provider_id=invoice["id"])
    assert failed.status == PaymentStatus.FAILED
    (history,) = _history(tenant, BillingEventKind.PAYMENT_FAILED)
    assert "Insufficient funds" in history.message
    # Stripe renews itself: our dunning beat does not retry it.

    assert not subscriptions_retry_due(any_plan=True).filter(pk=subscription.pk).exists()

    # Stripe's retry goes through.
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
    stripe_sub["status"] = "active"
    event = stripe_env.fake.event("invoice.paid", invoice, created=int(time.time()) + 5)
    assert stripe_env.deliver(client, event).status_code == 200

    ours = _ours(subscription)
    assert ours.status == SubscriptionStatus.ACTIVE
    assert ours.last_failure_reason == ""
    assert _ts(ours.current_period_end) == invoice["lines"]["data"][0]["period"]["end"]
    failed.refresh_from_db()
    assert failed.status == PaymentStatus.SUCCEEDED


def test_events_out_of_order_keep_the_newest_state(client, tenant, stripe_env, linked):
    subscription, stripe_sub = linked
    now = int(time.time())
    stripe_sub["status"] = "past_due"
    older = stripe_env.fake.event("customer.subscription.updated", stripe_sub, created=now + 10)
    stripe_sub["status"] = "active"
    newer = stripe_env.fake.event("customer.subscription.updated", stripe_sub, created=now + 20)

    assert stripe_env.deliver(client, newer).status_code == 200
    assert stripe_env.deliver(client, older).status_code == 200

    assert _ours(subscription).status == SubscriptionStatus.ACTIVE
    assert not _history(tenant, BillingEventKind.PAYMENT_FAILED)


def test_a_stale_event_does_not_regress_state_even_from_its_own_payload(tenant, stripe_env, linked):
    """Without dj-stripe's re-fetch (the event's own payload): the older event is stale."""
    subscription, stripe_sub = linked
    now = int(time.time())
    canceled = {**stripe_sub, "status": "canceled"}
    active = {**stripe_sub, "status": "active", "cancel_at_period_end": True}

    newer = stripe_event_apply(
        event_id="evt_newer",
        event_type="customer.subscription.updated",
        created=now + 60,
        obj=active,
    )
    older = stripe_event_apply(
        event_id="evt_older",
        event_type="customer.subscription.deleted",
        created=now + 30,
        obj=canceled,
    )
    replay = stripe_event_apply(
        event_id="evt_newer",
        event_type="customer.subscription.updated",
        created=now + 60,
        obj=active,
    )

    assert (newer, older, replay) == ("applied", "stale", "duplicate")
    ours = _ours(subscription)
    assert ours.status == SubscriptionStatus.ACTIVE
    assert ours.cancel_at_period_end is True


def test_a_late_payment_failure_after_the_retry_succeeded_changes_nothing(
    tenant, stripe_env, linked
):
    subscription, stripe_sub = linked
    invoice = stripe_env.fake.subscription_renew(stripe_sub["id"])
    now = int(time.time())
    paid = stripe_event_apply(
        event_id="evt_paid", event_type="invoice.paid", created=now + 100, obj=invoice
    )
    failed = stripe_event_apply(
        event_id="evt_failed",
        event_type="invoice.payment_failed",
        created=now + 50,
        obj={**invoice, "status": "open"},
    )

    assert (paid, failed) == ("applied", "stale")
    assert _ours(subscription).status == SubscriptionStatus.ACTIVE
    payment = Payment.objects.unscoped().get(provider="stripe", provider_id=invoice["id"])
    assert payment.status == PaymentStatus.SUCCEEDED


def test_the_period_never_moves_back(tenant, stripe_env, linked):
    subscription, stripe_sub = linked
    end = _ours(subscription).current_period_end
    item = stripe_sub["items"]["data"][0]
    earlier = {
        **stripe_sub,
        "items": {
            **stripe_sub["items"],
            "data": [{**item, "current_period_end": item["current_period_end"] - 86400 * 10}],
        },
    }
    stripe_event_apply(
        event_id="evt_earlier",
        event_type="customer.subscription.updated",
        created=int(time.time()) + 5,
        obj=earlier,
    )
    assert _ours(subscription).current_period_end == end


def test_subscription_event_before_checkout_completed_is_linked_afterwards(
    client, admin_api, tenant, stripe_env
):
    response = admin_api.post(
        f"/api/v1/tenants/{tenant.id}/billing/payments/",
        {"plan": "email_2500", "provider": "stripe"},
        format="json",
    )
    payment = Payment.objects.unscoped().get(pk=response.json()["payment_id"])
    session, stripe_sub, _invoice = stripe_env.fake.checkout_complete(payment.provider_id)
    created = stripe_env.fake.event("customer.subscription.created", stripe_sub)
    assert stripe_env.deliver(client, created).status_code == 200
    assert not Subscription.objects.unscoped().filter(provider_ref=stripe_sub["id"]).exists()

    completed = stripe_env.fake.event("checkout.session.completed", session)
    assert stripe_env.deliver(client, completed).status_code == 200

    ours = Subscription.objects.unscoped().get(provider_ref=stripe_sub["id"])
    assert ours.status == SubscriptionStatus.ACTIVE
    assert ours.plan.code == "email_2500"
    assert ours.current_period_end == datetime.fromtimestamp(
        stripe_sub["items"]["data"][0]["current_period_end"], tz=UTC
    )


def test_an_invoice_that_is_not_a_renewal_moves_no_period(tenant, stripe_env, linked):
    """E.g. a plan changed in Stripe's portal: the money is recorded, the period stays."""
    subscription, stripe_sub = linked
    before = _ours(subscription)
    now = int(time.time())
    invoice = stripe_env.fake.invoice(
        stripe_sub, reason="subscription_update", start=now, end=now + 20 * 86400
    )

    outcome = stripe_event_apply(
        event_id="evt_update", event_type="invoice.paid", created=now + 1, obj=invoice
    )

    assert outcome == "applied"
    payment = Payment.objects.unscoped().get(provider="stripe", provider_id=invoice["id"])
    assert payment.kind == PaymentKind.INVOICE
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.period_start is None
    after = _ours(subscription)
    assert (after.current_period_start, after.current_period_end) == (
        before.current_period_start,
        before.current_period_end,
    )


def test_a_plan_changed_in_the_stripe_portal_is_followed(client, tenant, stripe_env, linked):
    """email_2500 → email_unlimited in Stripe's portal (Stripe prorates): our subscription
    follows in place, with its limits, history, and back again on a downgrade."""

    subscription, stripe_sub = linked
    unlimited = stripe_env.fake.price(
        product="fastlead_email_unlimited", amount=3999, lookup_key="email_unlimited"
    )
    Plan.objects.filter(code="email_unlimited").update(
        provider_price_ids={"stripe": unlimited["id"]}
    )
    stripe_sub["items"]["data"][0]["price"] = unlimited
    event = stripe_env.fake.event("customer.subscription.updated", stripe_sub)
    assert stripe_env.deliver(client, event).status_code == 200

    ours = _ours(subscription)
    assert ours.plan.code == "email_unlimited" and ours.status == SubscriptionStatus.ACTIVE
    assert entitlements_get(tenant).lead_limit is None
    assert _history(tenant, BillingEventKind.UPGRADED)

    stripe_sub["items"]["data"][0]["price"] = stripe_env.price
    event = stripe_env.fake.event("customer.subscription.updated", stripe_sub)
    assert stripe_env.deliver(client, event).status_code == 200
    assert _ours(subscription).plan.code == "email_2500"
    assert entitlements_get(tenant).lead_limit == 2500
    assert _history(tenant, BillingEventKind.DOWNGRADED)
