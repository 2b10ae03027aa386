"""Stripe webhooks → our billing state.

dj-stripe receives the webhook (`/webhooks/stripe/webhook/<uuid>/`), checks its signature
against the `WebhookEndpoint` secret, stores the `Event` once per event id (a replay is not
processed again), re-fetches the object from the Stripe API into its own models, and then
sends one signal per event type. `connect_signals()` (called from the billing app's
`ready`) hooks the events below onto `stripe_event_apply`, which drives OUR models:

- `checkout.session.completed` (paid): our Payment (client_reference_id) succeeds, which
  activates the plan; the Subscription gets provider "stripe", `provider_ref` = the Stripe
  subscription, `payment_method_id` = the Stripe customer, and Stripe's period end.
- `customer.subscription.created/updated/deleted`: status (active / past_due / paused /
  canceled), cancel at period end and the period, mapped onto our Subscription.
- `invoice.paid` for a renewal: a `Payment(kind=renewal)` with `provider_id` = the Stripe
  invoice (unique) succeeds and moves the period to the invoice's.
- `checkout.session.expired`: our Payment is canceled.
- `invoice.payment_failed`: the Subscription becomes past due with the reason (Stripe
  retries the card itself; our dunning beat leaves provider-renewed subscriptions alone).

Every event id is also recorded as a `PaymentEvent` (provider "stripe"): a replay stops
there. Events about a subscription older than one already applied to it are stale and do
not change its state (Stripe does not deliver in order), and periods only move forward.
Every change writes a `BillingEvent`.
"""

from __future__ import annotations

from datetime import datetime

import stripe
import structlog
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction

from apps.billing.stripe_sync import checkout, invoices, subscriptions
from apps.billing.stripe_sync.common import (
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    HANDLED_EVENTS,
    INVOICE_PAID,
    SUBSCRIPTION_EVENTS,
    ref_id,
)
from apps.payments.gateways import STRIPE
from apps.payments.models import PaymentEvent

logger = structlog.get_logger("fastlead.billing.stripe")

__all__ = ["HANDLED_EVENTS", "connect_signals", "stripe_event_apply"]


# --- dj-stripe signals -------------------------------------------------------------------------


def connect_signals() -> None:
    if not apps.is_installed("djstripe"):
        return
    from djstripe.signals import WEBHOOK_SIGNALS

    # dj-stripe's syncs use the SDK's global base address (our gateway passes its own).
    if settings.STRIPE_API_BASE.rstrip("/") != stripe.api_base:
        stripe.api_base = settings.STRIPE_API_BASE.rstrip("/")

    for name in HANDLED_EVENTS:
        WEBHOOK_SIGNALS[name].connect(_on_webhook, dispatch_uid=f"fastlead-stripe-{name}")


def _on_webhook(sender, event, **kwargs) -> None:
    """A verified, first-seen dj-stripe Event (inside dj-stripe's transaction: an exception
    rolls the event back and Stripe retries it)."""
    created = event.created
    stripe_event_apply(
        event_id=event.id,
        event_type=event.type,
        created=int(created.timestamp()) if isinstance(created, datetime) else int(created or 0),
        obj=_current_object(event),
    )


def _current_object(event) -> dict:
    """The event's object as dj-stripe just re-fetched it from the API (the current state),
    else as the event carried it."""
    from djstripe import models as djstripe_models

    payload = dict((event.data or {}).get("object") or {})
    model = {
        "checkout.session": djstripe_models.Session,
        "subscription": djstripe_models.Subscription,
        "invoice": djstripe_models.Invoice,
    }.get(payload.get("object", ""))
    if model is not None and payload.get("id"):
        row = model.objects.filter(id=payload["id"]).first()
        data = getattr(row, "stripe_data", None) if row is not None else None
        if isinstance(data, dict) and data.get("id") == payload["id"]:
            return data
    return payload


# --- one event ---------------------------------------------------------------------------------


def stripe_event_apply(*, event_id: str, event_type: str, created: int, obj: dict) -> str:
    """Apply one Stripe event to our models. Returns what happened: "duplicate", "stale",
    "unknown", "ignored" or "applied"."""
    if event_type not in HANDLED_EVENTS:
        return "ignored"
    subscription_id = _subscription_id(event_type, obj)
    with transaction.atomic():
        stale = bool(subscription_id) and _newer_event_seen(subscription_id, created)
        try:
            with transaction.atomic():
                record = PaymentEvent.objects.create(
                    provider=STRIPE,
                    provider_event_id=event_id[:128],
                    status="",
                    raw={
                        "type": event_type,
                        "created": created,
                        "object": obj.get("id", ""),
                        "subscription": subscription_id,
                    },
                )
        except IntegrityError:
            return "duplicate"
        if event_type == CHECKOUT_COMPLETED:
            outcome = checkout.checkout_completed(obj, subscription_id)
        elif event_type == CHECKOUT_EXPIRED:
            outcome = checkout.checkout_expired(obj)
        elif event_type in SUBSCRIPTION_EVENTS:
            outcome = "stale" if stale else subscriptions.subscription_changed(obj)
        elif event_type == INVOICE_PAID:
            outcome = invoices.invoice_paid(obj, subscription_id, stale=stale)
        else:
            outcome = invoices.invoice_failed(obj, subscription_id, stale=stale)
        record.status = outcome[:20]
        record.save(update_fields=["status", "updated_at"])
    logger.info("stripe_event", event_id=event_id, type=event_type, outcome=outcome)
    return outcome


def _newer_event_seen(subscription_id: str, created: int) -> bool:
    return PaymentEvent.objects.filter(
        provider=STRIPE, raw__subscription=subscription_id, raw__created__gt=created
    ).exists()


def _subscription_id(event_type: str, obj: dict) -> str:
    if event_type in SUBSCRIPTION_EVENTS:
        return str(obj.get("id") or "")
    if event_type in (CHECKOUT_COMPLETED, CHECKOUT_EXPIRED):
        return ref_id(obj.get("subscription"))
    return invoice_subscription_id(obj)


def invoice_subscription_id(invoice: dict) -> str:
    # API 2025-03-31 and later: invoice.parent.subscription_details.subscription.
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return ref_id(details.get("subscription")) or ref_id(invoice.get("subscription"))
