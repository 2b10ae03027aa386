"""Dunning (seed 001): a declined renewal is retried 3 times, 3 days apart, with e-mails;
access lasts a 7-day grace period, then the tenant is blocked; a successful retry (or the
tenant paying by hand from the billing page) restores everything.

The timeline, counted from the first declined renewal (day 0):

- day 0: the subscription becomes `past_due`, the card's reason is kept
  (`last_failure_reason`, shown on the billing page), grace runs until day 7, retry 1 is
  set for day 3; the administrators get a "payment failed" e-mail.
- day 3, day 6: retries 1 and 2; each decline e-mails again with the next date.
- day 7: the grace is over: access is blocked (`lifecycle.access_block`, reason "dunning");
  the subscription stays `past_due` and retry 3 is still made.
- day 9: retry 3. A decline ends the subscription (`expired`); it stays blocked until the
  tenant chooses a plan again (the last e-mail says so).

Any success on the way (a retry, or "Pay now" on the billing page, which starts a payment
for the overdue period) moves the subscription to the period it paid for (starting where
the unpaid one started), clears the dunning fields, restores access and sends the usual
"payment succeeded" e-mail. Retry dates are anchored to the first decline
(`grace_until - GRACE`), so a late beat never pushes the later retries back. The daily beat
runs at about the same time every day — a few seconds *before* the moment of yesterday's
decline — so retries and the grace end are due from `DUE_SLACK` before their time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.events import RenewalPaymentFailed
from apps.billing.models import BillingEventKind, PlanStatus, Subscription, SubscriptionStatus
from apps.billing.plan_limits import subscription_changed
from apps.billing.services.history import history_record
from apps.billing.services.lifecycle import access_block, access_restore
from apps.billing.services.notices import notice_enqueue
from apps.billing.services.payments import payment_page_create
from apps.billing.services.renewal_payments import renewal_payment_create, renewal_payment_live
from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.events import emit, log_event
from apps.core.stored_text import stored_text
from apps.payments import gateways
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services.payments import payment_apply_status
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.dunning")

RETRY_INTERVAL = timedelta(days=3)
MAX_RETRIES = 3
GRACE = timedelta(days=7)
DUE_SLACK = timedelta(hours=1)


def subscriptions_retry_due(now: datetime | None = None, *, any_plan: bool = False):
    """Past-due subscriptions whose next retry is due (plan active or closed; `any_plan`
    also lists retired plans, which the beat ends instead of retrying)."""
    now = now or timezone.now()
    rows = Subscription.objects.unscoped().filter(
        status=SubscriptionStatus.PAST_DUE,
        plan__trial_days=0,
        provider_ref="",
        dunning_attempts__lt=MAX_RETRIES,
        next_retry_at__lte=now + DUE_SLACK,
    )
    if not any_plan:
        rows = rows.filter(plan__status__in=[PlanStatus.ACTIVE, PlanStatus.CLOSED])
    return rows.order_by("next_retry_at", "pk")


# --- a renewal declined -------------------------------------------------------------------


def dunning_charge_failed(payment: Payment) -> None:
    """A renewal payment failed (called once per payment, inside the transaction that marks
    it failed). A charge of the beat or the ops endpoint starts or continues dunning; a
    payment the tenant made by hand only records the reason (it saw the decline itself)."""
    subscription = (
        Subscription.objects.for_tenant(payment.tenant)
        .select_for_update(of=("self",))
        .select_related("plan")
        .filter(pk=payment.subscription_id)
        .first()
    )
    if subscription is None or subscription.current_period_end != payment.period_start:
        return  # stale: the period has moved on
    reason = payment.failure_reason or _("The payment was declined.")
    if not payment.request_id or subscription.status not in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
    ):
        subscription.last_failure_reason = reason[:300]
        subscription.save(update_fields=["last_failure_reason", "updated_at"])
        _failure_history(payment, subscription, reason)
        return
    now = timezone.now()
    if subscription.status == SubscriptionStatus.ACTIVE:  # the first decline: day 0
        subscription.status = SubscriptionStatus.PAST_DUE
        subscription.dunning_attempts = 0
        subscription.grace_until = now + GRACE
        subscription.next_retry_at = now + RETRY_INTERVAL
    else:
        subscription.dunning_attempts += 1
        first_decline = (subscription.grace_until or now) - GRACE
        if subscription.dunning_attempts >= MAX_RETRIES:
            subscription.status = SubscriptionStatus.EXPIRED
            subscription.ended_at = now
            subscription.next_retry_at = None
        else:
            subscription.next_retry_at = first_decline + RETRY_INTERVAL * (
                subscription.dunning_attempts + 1
            )
    subscription.last_failure_reason = reason[:300]
    subscription.save()
    _failure_history(payment, subscription, reason)
    _failure_notice(payment, subscription, reason)
    if subscription.status == SubscriptionStatus.EXPIRED:
        _expired(subscription)


def _failure_history(payment: Payment, subscription: Subscription, reason: str) -> None:
    history_record(
        payment.tenant,
        BillingEventKind.PAYMENT_FAILED,
        message=reason,
        money=payment.money,
        payment_id=str(payment.pk),
        subscription_id=subscription.pk,
        attempt=subscription.dunning_attempts,
    )
    if subscription.status == SubscriptionStatus.PAST_DUE and subscription.next_retry_at:
        history_record(
            payment.tenant,
            BillingEventKind.RENEWAL_RETRY_SCHEDULED,
            message=stored_text(
                gettext_noop("Next attempt on %(date)s; access is kept until %(grace)s."),
                date=subscription.next_retry_at,
                grace=subscription.grace_until,
            ),
            subscription_id=subscription.pk,
            retry=subscription.dunning_attempts + 1,
            next_retry_at=subscription.next_retry_at.isoformat(),
        )


def _failure_notice(payment: Payment, subscription: Subscription, reason: str) -> None:
    final = subscription.status == SubscriptionStatus.EXPIRED
    emit(
        RenewalPaymentFailed(
            tenant_id=str(payment.tenant_id), payment_id=str(payment.pk), final=final
        )
    )
    notice_enqueue(
        payment.tenant,
        "payment_failed",
        amount=str(payment.money.to_decimal()),
        currency=payment.currency,
        plan_code=subscription.plan.code,
        reason=reason,
        next_retry_at=(
            subscription.next_retry_at.isoformat() if subscription.next_retry_at else None
        ),
        grace_until=subscription.grace_until.isoformat() if subscription.grace_until else None,
        final=final,
    )


def _expired(subscription: Subscription) -> None:
    """The last retry failed: the subscription ends and the tenant stays blocked."""
    tenant = subscription.tenant
    history_record(
        tenant,
        BillingEventKind.CANCELED,
        message=stored_text(
            gettext_noop("The subscription expired: the renewal failed %(n)s times."),
            n=MAX_RETRIES + 1,
        ),
        subscription_id=subscription.pk,
        status=SubscriptionStatus.EXPIRED,
    )
    log_event(
        "subscription_canceled",
        tenant_id=str(tenant.pk),
        subscription_id=subscription.pk,
        status=SubscriptionStatus.EXPIRED,
    )
    subscription_changed(tenant)
    access_block(tenant=tenant, reason="dunning")


# --- the grace ends -------------------------------------------------------------------------


def dunning_grace_end(now: datetime | None = None) -> int:
    """Block the tenants whose dunning grace is over (retries go on). Safe to run twice:
    `access_block` answers False for a tenant already blocked."""
    now = now or timezone.now()
    due = Subscription.objects.unscoped().filter(
        status=SubscriptionStatus.PAST_DUE, grace_until__lte=now + DUE_SLACK
    )
    blocked = 0
    for subscription in due.select_related("tenant"):
        tenant = subscription.tenant
        with transaction.atomic(), tenant_scope(tenant):
            if not access_block(tenant=tenant, reason="dunning"):
                continue
            history_record(
                tenant,
                BillingEventKind.GRACE_ENDED,
                message=subscription.last_failure_reason,
                subscription_id=subscription.pk,
            )
            blocked += 1
    return blocked


# --- a renewal paid -------------------------------------------------------------------------


def dunning_clear(subscription: Subscription) -> None:
    """Paid: back to active with the dunning fields cleared (the caller saves the row)."""
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.dunning_attempts = 0
    subscription.next_retry_at = None
    subscription.grace_until = None
    subscription.last_failure_reason = ""


def dunning_access_restore(tenant) -> None:
    access_restore(tenant=tenant)


# --- "Pay now" on the billing page -----------------------------------------------------------


def dunning_overdue_subscription(tenant) -> Subscription | None:
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(status=SubscriptionStatus.PAST_DUE)
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )


def dunning_pay_now(*, tenant, actor=None, return_url: str = "") -> Payment:
    """Start a payment for the overdue period of the tenant's past-due subscription (the
    tenant pays by hand, e.g. with another card). Returns the payment with its
    `confirmation_url`; its success ends dunning like a successful retry. A payment already
    started by hand for the period is returned again."""
    subscription = dunning_overdue_subscription(tenant)
    if subscription is None:
        raise Conflict(_("Nothing is overdue: the subscription is paid."), "nothing_overdue")
    payment = _overdue_payment_row(subscription, actor)
    if payment.confirmation_url or payment.status != PaymentStatus.PENDING:
        return payment
    try:
        payment_page_create(payment, return_url)
    except ProviderError as exc:
        payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=exc.user_message)
        raise ValidationFailed(exc.user_message, code="payment_declined") from exc
    return payment


@transaction.atomic
def _overdue_payment_row(subscription: Subscription, actor) -> Payment:
    subscription = (
        Subscription.objects.for_tenant(subscription.tenant)
        .select_for_update(of=("self",))
        .select_related("plan", "tenant")
        .get(pk=subscription.pk)
    )
    if subscription.status != SubscriptionStatus.PAST_DUE:
        raise Conflict(_("Nothing is overdue: the subscription is paid."), "nothing_overdue")
    live = renewal_payment_live(subscription)
    if live is not None:
        if live.request_id or live.status != PaymentStatus.PENDING:
            raise Conflict(
                _("A charge for this period is already in progress. Check again in a minute."),
                "charge_in_progress",
            )
        return live
    plan = subscription.plan
    allowed = gateways.providers_for(plan.currency)
    if not allowed:
        raise ValidationFailed(
            _("Payments in %(currency)s are not available yet.") % {"currency": plan.currency},
            code="provider_not_available",
        )
    provider = subscription.provider if subscription.provider in allowed else allowed[0]
    return renewal_payment_create(subscription, provider=provider, actor=actor)
