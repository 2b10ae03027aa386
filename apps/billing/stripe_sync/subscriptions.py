"""`customer.subscription.*`: Stripe's subscription state (status, cancel at period end, the
period, a plan changed in its portal) onto ours."""

from __future__ import annotations

import structlog
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing import plan_limits
from apps.billing.models import (
    LIVE_STATUSES,
    AccessState,
    BillingEventKind,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.history import history_record
from apps.billing.services.lifecycle import GRACE_PERIOD
from apps.billing.services.subscriptions import _access_restore, _account_locked
from apps.billing.services.usage import meter_ensure
from apps.billing.stripe_sync.common import (
    STATUS_MAP,
    TERMINAL,
    ref_id,
    subscription_period,
    timestamp,
    uuid_or_none,
)
from apps.core.events import log_event
from apps.core.stored_text import stored_text
from apps.payments.gateways import STRIPE
from apps.payments.models import Payment, PaymentStatus
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.stripe")


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
        .filter(provider=STRIPE, pk=uuid_or_none(payment_id), status=PaymentStatus.SUCCEEDED)
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
            link(found, subscription_id, ref_id(data.get("customer")))
    return found


def subscription_changed(data: dict) -> str:
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
        apply_state(locked, data)
    return "applied"


def apply_state(subscription: Subscription, data: dict, *, align_period: bool = False) -> None:
    """Stripe's subscription state onto ours: status, cancel at period end, period end.
    A canceled or expired subscription stays so; the period never moves back (except
    `align_period`, once, when the subscription is linked: Stripe's period is the truth)."""
    if subscription.status in TERMINAL:
        return
    tenant = subscription.tenant
    now = timezone.now()
    fields: set[str] = set()
    start, end = subscription_period(data)
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
            message=stored_text(gettext_noop("Cancellation at period end (Stripe)."))
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
            subscription.ended_at = timestamp(data.get("ended_at")) or now
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
        plan_limits.subscription_changed(tenant)  # entitlements follow (an event)
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
        message=stored_text(
            gettext_noop("%(old)s → %(new)s (Stripe)"), old=old_plan.name, new=new_plan.name
        ),
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


def link(subscription: Subscription, subscription_id: str, customer_id: str) -> None:
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
