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

from datetime import UTC, datetime
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import (
    LIVE_STATUSES,
    BillingEventKind,
    Payment,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.plan_limits import subscription_changed
from apps.billing.services.history import history_record
from apps.billing.services.usage import meter_ensure
from apps.core.events import log_event
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.stripe")

STRIPE = "stripe"

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


# --- dj-stripe signals -------------------------------------------------------------------------


def connect_signals() -> None:
    import stripe
    from django.apps import apps
    from django.conf import settings

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
            outcome = _checkout_completed(obj, subscription_id)
        elif event_type == CHECKOUT_EXPIRED:
            outcome = _checkout_expired(obj)
        elif event_type in SUBSCRIPTION_EVENTS:
            outcome = "stale" if stale else _subscription_changed(obj)
        elif event_type == INVOICE_PAID:
            outcome = _invoice_paid(obj, subscription_id, stale=stale)
        else:
            outcome = _invoice_failed(obj, subscription_id, stale=stale)
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
        return _id(obj.get("subscription"))
    return _invoice_subscription_id(obj)


def _invoice_subscription_id(invoice: dict) -> str:
    # API 2025-03-31 and later: invoice.parent.subscription_details.subscription.
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _dt(timestamp) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


def _subscription_period(data: dict) -> tuple[datetime | None, datetime | None]:
    """The current period: on the subscription items since API 2025-03-31, before on the
    subscription itself."""
    items = (data.get("items") or {}).get("data") or []
    source = items[0] if items and items[0].get("current_period_end") else data
    return _dt(source.get("current_period_start")), _dt(source.get("current_period_end"))


# --- checkout.session.completed ------------------------------------------------------------------


def _checkout_payment(session: dict) -> Payment | None:
    payment_id = session.get("client_reference_id") or (session.get("metadata") or {}).get(
        "payment_id"
    )
    return (
        Payment.objects.unscoped()
        .select_related("tenant", "plan")
        .filter(provider=STRIPE, pk=_uuid_or_none(payment_id))
        .first()
    )


def _checkout_expired(session: dict) -> str:
    """The payer left the Checkout page unpaid until it expired: our payment is canceled
    (a later success on the same payment still wins: the status ladder)."""
    payment = _checkout_payment(session)
    if payment is None:
        return "unknown"
    from apps.billing.services.payments import payment_apply_status

    with tenant_scope(payment.tenant):
        payment_apply_status(
            payment, PaymentStatus.CANCELED, failure_reason=_("The payment page expired.")
        )
    return "applied"


def _checkout_completed(session: dict, subscription_id: str) -> str:
    payment = _checkout_payment(session)
    if payment is None:
        logger.warning("stripe_checkout_unknown_payment", session=session.get("id"))
        return "unknown"
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return "ignored"  # an asynchronous payment method: paid later (not offered)
    from apps.billing.services.payments import payment_apply_status

    customer_id = _id(session.get("customer"))
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
                message=_("Paid through Stripe Checkout."),
                money=payment.money,
                payment_id=str(payment.pk),
                provider=STRIPE,
            )
        subscription = _subscription_for_payment(payment)
        if subscription is None:
            return "applied"  # a duplicate purchase: payments.py refunds it
        _link(subscription, subscription_id, customer_id)
        data = _stripe_subscription_data(subscription_id)
        if data:
            _apply_state(subscription, data, align_period=True)
    return "applied"


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


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


def _link(subscription: Subscription, subscription_id: str, customer_id: str) -> None:
    """Our subscription is renewed by Stripe from now on."""
    changed = []
    if subscription.provider != STRIPE:
        subscription.provider = STRIPE
        changed.append("provider")
    if subscription_id and subscription.provider_ref != subscription_id:
        subscription.provider_ref = subscription_id[:64]
        changed.append("provider_ref")
    if customer_id and subscription.payment_method_id != customer_id:
        subscription.payment_method_id = customer_id[:64]
        changed.append("payment_method_id")
    if changed:
        subscription.save(update_fields=[*changed, "updated_at"])


def _stripe_subscription_data(subscription_id: str) -> dict:
    """dj-stripe's copy of the Stripe subscription (synced with the checkout session)."""
    if not subscription_id:
        return {}
    from djstripe.models import Subscription as StripeSubscription

    row = StripeSubscription.objects.filter(id=subscription_id).first()
    data = getattr(row, "stripe_data", None) if row is not None else None
    return data if isinstance(data, dict) else {}


# --- customer.subscription.* ---------------------------------------------------------------------


def _our_subscription(data: dict) -> Subscription | None:
    """Ours for a Stripe subscription: by `provider_ref`, else (its checkout event not yet
    applied) through the paid payment named in its metadata."""
    subscription_id = str(data.get("id") or "")
    found = (
        Subscription.objects.unscoped()
        .select_related("plan", "tenant")
        .filter(provider=STRIPE, provider_ref=subscription_id)
        .first()
    )
    if found is not None or not subscription_id:
        return found
    payment_id = (data.get("metadata") or {}).get("payment_id")
    payment = (
        Payment.objects.unscoped()
        .filter(provider=STRIPE, pk=_uuid_or_none(payment_id), status=PaymentStatus.SUCCEEDED)
        .exclude(subscription=None)
        .first()
    )
    if payment is None:
        return None
    found = (
        Subscription.objects.unscoped()
        .select_related("plan", "tenant")
        .filter(pk=payment.subscription_id, provider_ref="")
        .first()
    )
    if found is not None:
        with tenant_scope(found.tenant):
            _link(found, subscription_id, _id(data.get("customer")))
    return found


def _subscription_changed(data: dict) -> str:
    subscription = _our_subscription(data)
    if subscription is None:
        logger.info("stripe_subscription_unknown", subscription=data.get("id"))
        return "unknown"
    with tenant_scope(subscription.tenant):
        locked = (
            Subscription.objects.for_tenant(subscription.tenant)
            .select_for_update()
            .select_related("plan")
            .get(pk=subscription.pk)
        )
        _apply_state(locked, data)
    return "applied"


def _apply_state(subscription: Subscription, data: dict, *, align_period: bool = False) -> None:
    """Stripe's subscription state onto ours: status, cancel at period end, period end.
    A canceled or expired subscription stays so; the period never moves back (except
    `align_period`, once, when the subscription is linked: Stripe's period is the truth)."""
    if subscription.status in TERMINAL:
        return
    tenant = subscription.tenant
    now = timezone.now()
    fields: set[str] = set()
    start, end = _subscription_period(data)
    if end is not None and end > subscription.current_period_start:
        if align_period and end != subscription.current_period_end:
            # Linking: Stripe's period end is the truth. Our start stays (this period's
            # usage meter is keyed on it).
            subscription.current_period_end = end
            fields.add("current_period_end")
        elif end > subscription.current_period_end:
            subscription.current_period_end = end
            fields.add("current_period_end")
            if start is not None and subscription.current_period_start < start < end:
                subscription.current_period_start = start
                fields.add("current_period_start")
    plan_changed = _follow_plan(subscription, data)
    if plan_changed:
        fields |= {"plan", "pending_plan"}
    cancel_at_end = bool(data.get("cancel_at_period_end"))
    if cancel_at_end != subscription.cancel_at_period_end:
        subscription.cancel_at_period_end = cancel_at_end
        fields.add("cancel_at_period_end")
        history_record(
            tenant,
            BillingEventKind.CANCEL_SCHEDULED if cancel_at_end else BillingEventKind.REACTIVATED,
            message=_("Cancellation at period end (Stripe).")
            if cancel_at_end
            else _("Cancellation withdrawn (Stripe)."),
            subscription_id=subscription.pk,
            provider=STRIPE,
        )
    new_status = STATUS_MAP.get(str(data.get("status") or ""))
    old_status = subscription.status
    if new_status is not None and new_status != old_status:
        subscription.status = new_status
        fields.add("status")
        kind, message = _status_history(old_status, new_status)
        if new_status == SubscriptionStatus.CANCELED:
            subscription.ended_at = _dt(data.get("ended_at")) or now
            fields.add("ended_at")
        if new_status == SubscriptionStatus.PAUSED:
            subscription.paused_at = now
            fields.add("paused_at")
        elif old_status == SubscriptionStatus.PAUSED:
            subscription.paused_at = None
            fields.add("paused_at")
        if new_status == SubscriptionStatus.ACTIVE:
            subscription.last_failure_reason = ""
            fields.add("last_failure_reason")
        if kind:
            history_record(
                tenant,
                kind,
                message=message,
                subscription_id=subscription.pk,
                provider=STRIPE,
                stripe_status=str(data.get("status") or ""),
            )
        log_event(
            "subscription_canceled"
            if new_status == SubscriptionStatus.CANCELED
            else "subscription_changed",
            tenant_id=str(tenant.pk),
            subscription_id=subscription.pk,
            old=old_status,
            new=new_status,
            provider=STRIPE,
        )
    if fields:
        subscription.save(update_fields=[*sorted(fields), "updated_at"])
        if "status" in fields:
            _access_follow(tenant, old_status, subscription.status)
        subscription_changed(tenant)
        if plan_changed:
            meter_ensure(tenant)  # the period's counter takes the new plan's limit


def _stripe_plan(data: dict) -> Plan | None:
    """Our plan for the Stripe subscription's price (by price id, else its lookup key)."""
    items = (data.get("items") or {}).get("data") or []
    price = (items[0].get("price") or {}) if items else {}
    if not isinstance(price, dict) or not price.get("id"):
        return None
    found = Plan.objects.filter(provider_price_ids__stripe=price["id"]).first()
    if found is None and price.get("lookup_key"):
        found = Plan.objects.filter(code=price["lookup_key"], currency="EUR").first()
    return found


def _follow_plan(subscription: Subscription, data: dict) -> bool:
    """A plan changed in Stripe's customer portal (Stripe prorates it): ours follows, in place.
    Returns True if the plan changed."""
    new_plan = _stripe_plan(data)
    if new_plan is None or new_plan.pk == subscription.plan_id:
        return False
    tenant = subscription.tenant
    clash = (
        Subscription.objects.for_tenant(tenant)
        .filter(plan=new_plan, status__in=LIVE_STATUSES)
        .exclude(pk=subscription.pk)
    )
    if clash.exists():
        logger.warning(
            "stripe_plan_change_clash", subscription_id=subscription.pk, plan=new_plan.code
        )
        return False
    old_plan = subscription.plan
    subscription.plan = new_plan
    subscription.pending_plan = None
    upgrade = new_plan.price_amount >= old_plan.price_amount
    history_record(
        tenant,
        BillingEventKind.UPGRADED if upgrade else BillingEventKind.DOWNGRADED,
        message=_("%(old)s → %(new)s (Stripe)") % {"old": old_plan.name, "new": new_plan.name},
        subscription_id=subscription.pk,
        provider=STRIPE,
        old_plan=old_plan.code,
        new_plan=new_plan.code,
    )
    log_event(
        "subscription_changed",
        tenant_id=str(tenant.pk),
        subscription_id=subscription.pk,
        plan=new_plan.code,
        previous_plans=[old_plan.code],
        provider=STRIPE,
    )
    return True


def _access_follow(tenant, old: str, new: str) -> None:
    """Access follows the status as for our own pause / resume / cancel now
    (services/subscription_actions.py): paused = read-only with no clock; canceled =
    read-only for the grace period, then blocked by the beat; active again = restored."""
    from apps.billing.models import AccessState
    from apps.billing.services.lifecycle import GRACE_PERIOD
    from apps.billing.services.subscriptions import _access_restore, _account_locked

    account = _account_locked(tenant)
    now = timezone.now()
    if new == SubscriptionStatus.PAUSED and account.access_state == AccessState.ACTIVE:
        account.read_only_until = None
    elif new == SubscriptionStatus.CANCELED and account.access_state != AccessState.BLOCKED:
        account.read_only_until = now + GRACE_PERIOD
    elif new == SubscriptionStatus.ACTIVE and old == SubscriptionStatus.PAUSED:
        _access_restore(tenant, account)
        return
    else:
        return
    account.access_state = AccessState.READ_ONLY
    account.access_changed_at = now
    account.save(update_fields=["access_state", "access_changed_at", "read_only_until"])


def _status_history(old: str, new: str) -> tuple[str, str]:
    if new == SubscriptionStatus.CANCELED:
        return BillingEventKind.CANCELED, _("Subscription canceled (Stripe).")
    if new == SubscriptionStatus.PAUSED:
        return BillingEventKind.PAUSED, _("Subscription paused (Stripe).")
    if new == SubscriptionStatus.ACTIVE and old == SubscriptionStatus.PAUSED:
        return BillingEventKind.RESUMED, _("Subscription resumed (Stripe).")
    if new == SubscriptionStatus.PAST_DUE:
        return BillingEventKind.PAYMENT_FAILED, _("Renewal payment overdue (Stripe).")
    return "", ""


# --- invoices ------------------------------------------------------------------------------------


def _invoice_period(invoice: dict) -> tuple[datetime | None, datetime | None]:
    lines = (invoice.get("lines") or {}).get("data") or []
    for line in lines:
        period = line.get("period") or {}
        if period.get("end"):
            return _dt(period.get("start")), _dt(period.get("end"))
    return _dt(invoice.get("period_start")), _dt(invoice.get("period_end"))


def _renewal_payment(invoice: dict, subscription: Subscription) -> Payment:
    """Our Payment for a Stripe renewal invoice: one per invoice (provider_id unique)."""
    invoice_id = str(invoice["id"])
    existing = Payment.objects.unscoped().filter(provider=STRIPE, provider_id=invoice_id).first()
    if existing is not None:
        return existing
    start, _end = _invoice_period(invoice)
    amount = invoice.get("amount_paid") or invoice.get("amount_due") or 0
    # A period's invoice renews; anything else Stripe bills (a plan changed in its portal,
    # prorations) is an invoice that moves no period.
    renewal = invoice.get("billing_reason") in ("subscription_cycle", "subscription_threshold")
    payment = Payment(
        tenant=subscription.tenant,
        subscription=subscription,
        plan=subscription.plan,
        kind=PaymentKind.RENEWAL if renewal else PaymentKind.INVOICE,
        description=_("Renewal of plan %(plan)s (Stripe)") % {"plan": subscription.plan.name},
        amount=int(amount),
        currency=str(invoice.get("currency") or subscription.plan.currency).upper(),
        provider=STRIPE,
        provider_id=invoice_id[:64],
        idempotency_key=f"stripe-{invoice_id}"[:64],
        is_test=not invoice.get("livemode", False),
        payment_method_id=_id(invoice.get("customer"))[:64],
        period_start=start if renewal else None,
        raw={"invoice": invoice_id, "billing_reason": invoice.get("billing_reason", "")},
    )
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
    except IntegrityError:
        # Another payment already holds this period (or the invoice, concurrently).
        payment = Payment.objects.unscoped().filter(provider=STRIPE, provider_id=invoice_id).first()
        if payment is None:
            raise
    return payment


def _invoice_paid(invoice: dict, subscription_id: str, *, stale: bool) -> str:
    if invoice.get("billing_reason") == "subscription_create":
        return "ignored"  # the first invoice: paid through Checkout (our plan payment)
    subscription = (
        Subscription.objects.unscoped()
        .select_related("plan", "tenant")
        .filter(provider=STRIPE, provider_ref=subscription_id)
        .first()
    )
    if subscription is None or not subscription_id:
        logger.warning("stripe_invoice_unknown_subscription", invoice=invoice.get("id"))
        return "unknown"
    from apps.billing.services.payments import payment_apply_status

    with tenant_scope(subscription.tenant):
        payment = _renewal_payment(invoice, subscription)
        payment_apply_status(
            payment,
            PaymentStatus.SUCCEEDED,
            raw={**(payment.raw or {}), "status": invoice.get("status", "")},
            payment_method_id=_id(invoice.get("customer")),
        )
        locked = (
            Subscription.objects.for_tenant(subscription.tenant)
            .select_for_update()
            .select_related("plan")
            .get(pk=subscription.pk)
        )
        start, end = _invoice_period(invoice)
        fields = []
        if (
            payment.kind == PaymentKind.RENEWAL
            and start is not None
            and end is not None
            and end > start
            and locked.status not in TERMINAL
            and (start == locked.current_period_start or start >= locked.current_period_end)
            and (locked.current_period_start, locked.current_period_end) != (start, end)
        ):
            # The paid period is the current one (subscription_renew moved to it with our
            # own month arithmetic) or a later one: take Stripe's exact dates.
            locked.current_period_start, locked.current_period_end = start, end
            fields += ["current_period_start", "current_period_end"]
        if not stale and locked.status == SubscriptionStatus.PAST_DUE:
            locked.status = SubscriptionStatus.ACTIVE
            locked.last_failure_reason = ""
            fields += ["status", "last_failure_reason"]
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
            subscription_changed(subscription.tenant)
    return "applied"


def _invoice_failed(invoice: dict, subscription_id: str, *, stale: bool) -> str:
    if invoice.get("billing_reason") == "subscription_create":
        return "ignored"  # Checkout shows the decline to the payer; nothing is ours yet
    subscription = (
        Subscription.objects.unscoped()
        .select_related("plan", "tenant")
        .filter(provider=STRIPE, provider_ref=subscription_id)
        .first()
    )
    if subscription is None or not subscription_id:
        return "unknown"
    reason = _failure_reason(invoice)
    with tenant_scope(subscription.tenant):
        payment = _renewal_payment(invoice, subscription)
        updated = (
            Payment.objects.for_tenant(subscription.tenant)
            .filter(pk=payment.pk, status=PaymentStatus.PENDING)
            .update(status=PaymentStatus.FAILED, failure_reason=reason, updated_at=timezone.now())
        )
        if updated:
            log_event(
                "payment_failed",
                tenant_id=str(subscription.tenant_id),
                payment_id=str(payment.pk),
                provider=STRIPE,
            )
        if stale:
            return "stale"
        locked = (
            Subscription.objects.for_tenant(subscription.tenant)
            .select_for_update()
            .get(pk=subscription.pk)
        )
        if locked.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
            return "ignored"
        locked.status = SubscriptionStatus.PAST_DUE
        locked.last_failure_reason = reason
        locked.save(update_fields=["status", "last_failure_reason", "updated_at"])
        history_record(
            subscription.tenant,
            BillingEventKind.PAYMENT_FAILED,
            message=_("Renewal payment failed: %(reason)s Stripe will retry the card.")
            % {"reason": reason},
            money=payment.money,
            payment_id=str(payment.pk),
            subscription_id=subscription.pk,
            provider=STRIPE,
            attempt=invoice.get("attempt_count"),
        )
        subscription_changed(subscription.tenant)
    return "applied"


def _failure_reason(invoice: dict) -> str:
    from apps.billing.gateways.stripe_gw import decline_message

    error = invoice.get("last_finalization_error") or {}
    code = error.get("decline_code") or error.get("code") or ""
    return decline_message(code)[:300]
