"""`checkout.session.completed` / `.expired`: our plan payment through Stripe Checkout."""

from __future__ import annotations

import structlog
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from djstripe.models import Subscription as StripeSubscription

from apps.billing.models import BillingEventKind, Subscription
from apps.billing.services.history import history_record
from apps.billing.stripe_sync.common import ref_id, uuid_or_none
from apps.billing.stripe_sync.subscriptions import apply_state, link
from apps.core.stored_text import stored_text
from apps.payments.gateways import STRIPE
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services.payments import payment_apply_status
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.stripe")


def _checkout_payment(session: dict) -> Payment | None:
    payment_id = session.get("client_reference_id") or (session.get("metadata") or {}).get(
        "payment_id"
    )
    return (
        Payment.objects.unscoped()
        .select_related("tenant", "plan")
        .filter(provider=STRIPE, pk=uuid_or_none(payment_id))
        .first()
    )


def checkout_expired(session: dict) -> str:
    """The payer left the Checkout page unpaid until it expired: our payment is canceled
    (a later success on the same payment still wins: the status ladder)."""
    payment = _checkout_payment(session)
    if payment is None:
        return "unknown"
    with tenant_scope(payment.tenant):
        payment_apply_status(
            payment, PaymentStatus.CANCELED, failure_reason=_("The payment page expired.")
        )
    return "applied"


def checkout_completed(session: dict, subscription_id: str) -> str:
    payment = _checkout_payment(session)
    if payment is None:
        logger.warning("stripe_checkout_unknown_payment", session=session.get("id"))
        return "unknown"
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return "ignored"  # an asynchronous payment method: paid later (not offered)
    customer_id = ref_id(session.get("customer"))
    with tenant_scope(payment.tenant):
        before = payment.status
        payment_apply_status(
            payment,
            PaymentStatus.SUCCEEDED,
            raw={**(payment.raw or {}), "checkout_session": session.get("id", "")},
            payment_method_id=customer_id,
        )
        payment.refresh_from_db()
        if before != PaymentStatus.SUCCEEDED and payment.status == PaymentStatus.SUCCEEDED:
            history_record(
                payment.tenant,
                BillingEventKind.PAYMENT_SUCCEEDED,
                message=stored_text(gettext_noop("Paid through Stripe Checkout.")),
                money=payment.money,
                payment_id=str(payment.pk),
                provider=STRIPE,
            )
        subscription = _subscription_for_payment(payment)
        if subscription is None:
            return "applied"  # a duplicate purchase: payments.py refunds it
        link(subscription, subscription_id, customer_id)
        data = _stripe_subscription_data(subscription_id)
        if data:
            apply_state(subscription, data, align_period=True)
    return "applied"


def _subscription_for_payment(payment: Payment) -> Subscription | None:
    if payment.subscription_id is None:
        return None
    return (
        Subscription.objects.for_tenant(payment.tenant)
        .select_for_update()
        .select_related("plan")
        .filter(pk=payment.subscription_id)
        .first()
    )


def _stripe_subscription_data(subscription_id: str) -> dict:
    """dj-stripe's copy of the Stripe subscription (synced with the checkout session)."""
    if not subscription_id:
        return {}
    row = StripeSubscription.objects.filter(id=subscription_id).first()
    data = getattr(row, "stripe_data", None) if row is not None else None
    return data if isinstance(data, dict) else {}
