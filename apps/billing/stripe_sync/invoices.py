"""`invoice.paid` / `invoice.payment_failed`: a renewal Stripe charged (or could not)."""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.models import BillingEventKind, Subscription, SubscriptionStatus
from apps.billing.plan_limits import subscription_changed
from apps.billing.services.history import history_record
from apps.billing.stripe_sync.common import TERMINAL, ref_id, timestamp
from apps.core.events import log_event
from apps.core.stored_text import stored_text
from apps.payments.gateways import STRIPE
from apps.payments.gateways.stripe import decline_message
from apps.payments.models import Payment, PaymentKind, PaymentStatus
from apps.payments.services.payments import payment_apply_status
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.stripe")


def _invoice_period(invoice: dict) -> tuple[datetime | None, datetime | None]:
    lines = (invoice.get("lines") or {}).get("data") or []
    for line in lines:
        period = line.get("period") or {}
        if period.get("end"):
            return timestamp(period.get("start")), timestamp(period.get("end"))
    return timestamp(invoice.get("period_start")), timestamp(invoice.get("period_end"))


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
        payment_method_id=ref_id(invoice.get("customer"))[:64],
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


def invoice_paid(invoice: dict, subscription_id: str, *, stale: bool) -> str:
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
    with tenant_scope(subscription.tenant):
        payment = _renewal_payment(invoice, subscription)
        payment_apply_status(
            payment,
            PaymentStatus.SUCCEEDED,
            raw={**(payment.raw or {}), "status": invoice.get("status", "")},
            payment_method_id=ref_id(invoice.get("customer")),
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


def invoice_failed(invoice: dict, subscription_id: str, *, stale: bool) -> str:
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
            message=stored_text(
                gettext_noop("Renewal payment failed: %(reason)s Stripe will retry the card."),
                reason=reason,
            ),
            money=payment.money,
            payment_id=str(payment.pk),
            subscription_id=subscription.pk,
            provider=STRIPE,
            attempt=invoice.get("attempt_count"),
        )
        subscription_changed(subscription.tenant)
    return "applied"


def _failure_reason(invoice: dict) -> str:
    error = invoice.get("last_finalization_error") or {}
    code = error.get("decline_code") or error.get("code") or ""
    return decline_message(code)[:300]
