"""What every part of the Stripe sync shares: event names, status mapping, id and time helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from apps.billing.models import SubscriptionStatus

CHECKOUT_COMPLETED = "checkout.session.completed"
CHECKOUT_EXPIRED = "checkout.session.expired"
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_PAID = "invoice.paid"
INVOICE_FAILED = "invoice.payment_failed"
HANDLED_EVENTS = (
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    *SUBSCRIPTION_EVENTS,
    INVOICE_PAID,
    INVOICE_FAILED,
)

# Stripe subscription status → ours. `incomplete` (first payment not done) changes nothing.
STATUS_MAP = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "paused": SubscriptionStatus.PAUSED,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
}
TERMINAL = (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED)


def ref_id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def subscription_period(data: dict) -> tuple[datetime | None, datetime | None]:
    """The current period: on the subscription items since API 2025-03-31, before on the
    subscription itself."""
    items = (data.get("items") or {}).get("data") or []
    source = items[0] if items and items[0].get("current_period_end") else data
    start, end = source.get("current_period_start"), source.get("current_period_end")
    return timestamp(start), timestamp(end)


def uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
