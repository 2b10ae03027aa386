"""Recurring charges (seed 004): list due subscriptions and charge each on its saved card.

Idempotent twice over: a request id already seen returns its payment without calling the
provider; a period already charged (or being charged) is never charged again, whatever the
request id — a partial unique index allows one live charge per (subscription, period), the
subscription row is locked while deciding, and a short claim on the payment keeps a second
worker from calling the provider at the same time. A charge interrupted after the provider
call is retried with the same idempotency key, so the provider does not charge twice.

At the period end, before any charge (`renewal_prepare`): a subscription set to cancel at
period end ends (`canceled`), a scheduled downgrade (`pending_plan`) becomes the plan of the
new period and is charged at its price, and a subscription whose plan is retired expires
(closed plans keep renewing). A tenant left without a live subscription is blocked (data
kept) until it chooses a plan. A declined renewal starts dunning (`services/dunning.py`).

The daily beat (`renewals_run`) walks the due renewals and the due dunning retries with
deterministic request ids, so a re-run or a second worker replays instead of charging twice,
and one failing subscription never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing import selectors
from apps.billing.models import (
    LIVE_STATUSES,
    AccessState,
    BillingEventKind,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.plan_limits import subscription_changed
from apps.billing.services import dunning
from apps.billing.services.history import history_record
from apps.billing.services.lifecycle import GRACE_PERIOD
from apps.billing.services.payment_notices import renewal_reminders_send
from apps.billing.services.renewal_payments import renewal_payment_create, renewal_payment_live
from apps.billing.services.subscriptions import _account_locked
from apps.core.errors import Conflict, NotFound, ProviderError
from apps.core.events import log_event
from apps.core.stored_text import stored_text
from apps.payments import gateways
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services.payments import (
    payment_apply_result,
    payment_apply_status,
    payment_charge_saved,
    payment_claim,
    payment_result_keep,
)
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.renewals")

RENEWABLE_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.CLOSED)


@dataclass(frozen=True)
class ChargeOutcome:
    payment: Payment
    outcome: str  # charged | declined | pending | replayed | already_charged


def subscriptions_eligible(now=None):
    """Due renewals: active, plan active or closed (retired plans renew nothing), period
    over. Subscriptions their provider renews itself (`provider_ref`, or a gateway that
    `renews_itself`) are not ours."""
    now = now or timezone.now()
    return (
        Subscription.objects.unscoped()
        .filter(
            status=SubscriptionStatus.ACTIVE,
            plan__status__in=RENEWABLE_PLAN_STATUSES,
            plan__trial_days=0,
            provider_ref="",
            current_period_end__lte=now,
        )
        .exclude(provider__in=gateways.providers_with(renews_itself=True))
        .order_by("current_period_end", "pk")
    )


def subscriptions_period_over(now=None):
    """Everything the beat has to look at for the period end: the eligible ones plus those
    that end instead of renewing (retired plan, cancel at period end)."""
    now = now or timezone.now()
    return (
        Subscription.objects.unscoped()
        .filter(
            status=SubscriptionStatus.ACTIVE,
            plan__trial_days=0,
            provider_ref="",
            current_period_end__lte=now,
        )
        .order_by("current_period_end", "pk")
    )


def beat_request_id(subscription: Subscription) -> str:
    """The beat's request id: one per subscription, period and attempt (0 = the renewal,
    1..3 = dunning retries), so a re-run or a second worker replays the first call."""
    attempt = (
        subscription.dunning_attempts + 1
        if subscription.status == SubscriptionStatus.PAST_DUE
        else 0
    )
    return f"beat-{subscription.pk}-{subscription.current_period_end:%Y%m%d}-{attempt}"


# --- the period end ---------------------------------------------------------------------------


@transaction.atomic
def renewal_prepare(subscription_id: int, now: datetime | None = None) -> str:
    """Apply the period-end rules to a due subscription before it is charged. Returns
    "ready" (charge it), "canceled" or "expired" (it ended instead), or "skip" (not due)."""
    now = now or timezone.now()
    subscription = (
        Subscription.objects.unscoped()
        .select_for_update(of=("self",))
        .filter(pk=subscription_id)
        .select_related("plan", "pending_plan", "tenant")
        .first()
    )
    if subscription is None:
        return "skip"
    due_renewal = (
        subscription.status == SubscriptionStatus.ACTIVE and subscription.current_period_end <= now
    )
    due_retry = dunning.subscriptions_retry_due(now, any_plan=True).filter(pk=subscription_id)
    if not due_renewal and not due_retry.exists():
        return "skip"
    if subscription.cancel_at_period_end:
        return _subscription_end(subscription, SubscriptionStatus.CANCELED, now)
    if subscription.pending_plan_id and subscription.status == SubscriptionStatus.ACTIVE:
        _pending_plan_apply(subscription)
    if subscription.plan.status not in RENEWABLE_PLAN_STATUSES:
        return _subscription_end(subscription, SubscriptionStatus.EXPIRED, now)
    return "ready"


def _pending_plan_apply(subscription: Subscription) -> None:
    """A scheduled downgrade: the new period is on the pending plan, at its price."""
    old, new = subscription.plan, subscription.pending_plan
    subscription.plan = new
    subscription.pending_plan = None
    subscription.save(update_fields=["plan", "pending_plan", "updated_at"])
    with tenant_scope(subscription.tenant):
        history_record(
            subscription.tenant,
            BillingEventKind.DOWNGRADED,
            message=stored_text(
                gettext_noop("From this period the plan is %(new)s (was %(old)s)."),
                new=new.name,
                old=old.name,
            ),
            money=new.price,
            subscription_id=subscription.pk,
            plan=new.code,
            previous_plan=old.code,
        )
        subscription_changed(subscription.tenant)
    log_event(
        "subscription_changed",
        tenant_id=str(subscription.tenant_id),
        subscription_id=subscription.pk,
        plan=new.code,
        previous_plans=[old.code],
    )


def _access_read_only(tenant, *, until: datetime) -> None:
    account = _account_locked(tenant)
    if account.access_state == AccessState.BLOCKED:
        return
    account.access_state = AccessState.READ_ONLY
    account.access_changed_at = timezone.now()
    account.read_only_until = until
    account.save(update_fields=["access_state", "access_changed_at", "read_only_until"])
    log_event("access_read_only", tenant_id=str(tenant.pk), until=until.isoformat())


def _subscription_end(subscription: Subscription, status: str, now: datetime) -> str:
    """The period is over and the subscription does not renew (cancel at period end, or a
    retired plan): it ends at its period end and, with nothing else live, the tenant takes
    the path of a canceled subscription (as "cancel now" does): read-only for the grace
    period, then blocked by the lifecycle beat; data is kept, paying lifts it."""
    tenant = subscription.tenant
    ended_at = min(subscription.current_period_end, now)
    subscription.status = status
    subscription.ended_at = ended_at
    subscription.next_retry_at = None
    subscription.save(update_fields=["status", "ended_at", "next_retry_at", "updated_at"])
    if status == SubscriptionStatus.CANCELED:
        message = _("The subscription ended at the end of its period, as requested.")
    else:
        message = _("The plan %(plan)s is retired: the subscription ended with its period.") % {
            "plan": subscription.plan.name
        }
    with tenant_scope(tenant):
        history_record(
            tenant,
            BillingEventKind.CANCELED,
            message=message,
            subscription_id=subscription.pk,
            plan=subscription.plan.code,
            status=status,
        )
        subscription_changed(tenant)
        others = Subscription.objects.for_tenant(tenant).filter(status__in=LIVE_STATUSES)
        if not others.exists():
            _access_read_only(tenant, until=ended_at + GRACE_PERIOD)
    log_event(
        "subscription_canceled",
        tenant_id=str(tenant.pk),
        subscription_id=subscription.pk,
        status=status,
    )
    return status


# --- one charge -------------------------------------------------------------------------------


def subscription_charge(*, subscription_id: int, request_id: str) -> ChargeOutcome:
    """Charge one due subscription (a renewal, or a due dunning retry) for its next period
    (see the module docstring). A subscription that ends at its period end instead answers
    409 `subscription_ended`. A request id already used for another subscription answers 409
    `request_id_conflict`, never that other subscription's payment."""
    replay = Payment.objects.unscoped().filter(request_id=request_id).first()
    if replay is not None:
        return _replayed(replay, subscription_id)
    state = renewal_prepare(subscription_id)
    if state in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        raise Conflict(
            _("The subscription ended at the end of its period instead of renewing."),
            "subscription_ended",
        )
    try:
        payment = _charge_row(subscription_id, request_id)
    except IntegrityError:  # a concurrent call with the same request id won the insert
        return _replayed(Payment.objects.unscoped().get(request_id=request_id), subscription_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return ChargeOutcome(payment, "already_charged")
    return charge_resume(payment)


def _replayed(payment: Payment, subscription_id: int) -> ChargeOutcome:
    """The first result of a request id, if it was a charge of this same subscription."""
    if payment.subscription_id != subscription_id:
        raise Conflict(
            _("This request id was already used for another subscription's charge."),
            "request_id_conflict",
        )
    return ChargeOutcome(payment, "replayed")


def charge_resume(payment: Payment) -> ChargeOutcome:
    """Call the provider for a pending renewal payment (again, with the same idempotency
    key, after a timeout); "pending" if another worker holds the claim."""
    if payment.status != PaymentStatus.PENDING or not payment_claim(payment):
        return ChargeOutcome(_reload(payment), "pending")
    return _charge_call(payment)


@transaction.atomic
def _charge_row(subscription_id: int, request_id: str) -> Payment:
    subscription = (
        Subscription.objects.unscoped().select_for_update().filter(pk=subscription_id).first()
    )
    if subscription is None:
        raise NotFound(_("No such subscription."))
    live = renewal_payment_live(subscription)
    if live is not None:
        if not live.request_id and live.status == PaymentStatus.PENDING:
            # The tenant is paying the overdue period by hand right now: leave it be.
            raise Conflict(_("The period is being paid by hand."), "charge_in_progress")
        return live
    due = subscriptions_eligible().filter(pk=subscription.pk).exists() or (
        dunning.subscriptions_retry_due().filter(pk=subscription.pk).exists()
    )
    if not due:
        raise Conflict(_("The subscription is not due for a charge."), "not_eligible")
    return renewal_payment_create(
        subscription,
        provider=subscription.provider or gateways.SANDBOX,
        payment_method_id=subscription.payment_method_id,
        request_id=request_id,
    )


def _charge_call(payment: Payment) -> ChargeOutcome:
    tenant = payment.tenant
    with tenant_scope(tenant):
        if not payment.payment_method_id:
            # A decline like any other: dunning starts (payments.payment_apply_status).
            payment_apply_status(
                payment, PaymentStatus.FAILED, failure_reason=_("No saved card to charge.")
            )
            return ChargeOutcome(_reload(payment), "declined")
        description = _("Fast Lead, plan %(plan)s") % {"plan": payment.plan.name}
        try:
            result = payment_charge_saved(payment, description=description)
        except ProviderError as exc:
            return _charge_failed(payment, exc)
        payment_result_keep(payment, result)
        payment_apply_result(payment, result)
        payment = _reload(payment)
        if payment.status == PaymentStatus.SUCCEEDED:
            return ChargeOutcome(payment, "charged")
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
            return ChargeOutcome(payment, "declined")
        return ChargeOutcome(payment, "pending")


def _charge_failed(payment: Payment, exc: ProviderError) -> ChargeOutcome:
    if not exc.permanent:
        # Unknown outcome (timeout, 5xx): stay pending and release the claim; the next call
        # retries with the same idempotency key.
        Payment.objects.for_tenant(payment.tenant).filter(pk=payment.pk).update(
            claimed_at=None, failure_reason=exc.user_message[:300]
        )
        return ChargeOutcome(_reload(payment), "pending")
    # The decline starts or continues dunning (payments.payment_apply_status).
    payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=exc.user_message)
    return ChargeOutcome(_reload(payment), "declined")


def subscription_renew(payment: Payment) -> None:
    """A renewal (or a dunning retry, or an overdue period paid by hand) succeeded: move the
    subscription to the period it paid for, keep the card it was paid with, and end dunning
    (status active, access restored)."""
    subscription = (
        Subscription.objects.for_tenant(payment.tenant)
        .select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=payment.subscription_id)
    )
    if payment.period_start is None or subscription.current_period_end != payment.period_start:
        return  # already moved (a replay), or not a renewal
    subscription.current_period_start = payment.period_start
    subscription.current_period_end = payment.period_start + selectors.interval_delta(
        subscription.plan.interval
    )
    if payment.payment_method_id:
        subscription.payment_method_id = payment.payment_method_id
    was_past_due = subscription.status == SubscriptionStatus.PAST_DUE
    if was_past_due:
        dunning.dunning_clear(subscription)
    subscription.save(
        update_fields=[
            "current_period_start",
            "current_period_end",
            "payment_method_id",
            "status",
            "dunning_attempts",
            "next_retry_at",
            "grace_until",
            "last_failure_reason",
            "updated_at",
        ]
    )
    history_record(
        payment.tenant,
        BillingEventKind.RENEWED,
        message=stored_text(
            gettext_noop("Renewed until %(date)s."),
            date=subscription.current_period_end,
        ),
        money=payment.money,
        subscription_id=subscription.pk,
        payment_id=str(payment.pk),
        after_dunning=was_past_due,
    )
    if was_past_due:
        dunning.dunning_access_restore(payment.tenant)


# --- the daily beat ---------------------------------------------------------------------------


def renewals_run(now: datetime | None = None) -> dict[str, int]:
    """One pass of the daily beat: period ends and renewal charges, dunning retries, grace
    ends, renewal reminders. Safe to run twice and on two workers at once."""
    now = now or timezone.now()
    counts = {
        "charged": 0,
        "declined": 0,
        "pending": 0,
        "replayed": 0,
        "already_charged": 0,
        "canceled": 0,
        "expired": 0,
        "errors": 0,
    }
    due = list(subscriptions_period_over(now)) + list(dunning.subscriptions_retry_due(now))
    for subscription in due:
        outcome = _beat_one(subscription, now)
        if outcome:
            counts[outcome] += 1
    counts["blocked"] = _guarded(dunning.dunning_grace_end, now)
    counts["reminded"] = _guarded(renewal_reminders_send, now)
    return counts


def _beat_one(subscription: Subscription, now: datetime) -> str | None:
    """One subscription of the beat; any failure is logged and the beat goes on."""
    try:
        state = renewal_prepare(subscription.pk, now)
        if state != "ready":
            return None if state == "skip" else state
        result = subscription_charge(
            subscription_id=subscription.pk, request_id=beat_request_id(subscription)
        )
        if result.outcome == "replayed" and result.payment.status == PaymentStatus.PENDING:
            result = charge_resume(result.payment)  # an unknown outcome from an earlier run
        return result.outcome
    except Conflict:
        return None  # no longer due: another worker got there first
    except Exception:
        logger.exception("renewal_failed", subscription_id=subscription.pk)
        return "errors"


def _guarded(step, now: datetime) -> int:
    try:
        return step(now)
    except Exception:
        logger.exception("renewal_step_failed", step=step.__name__)
        return 0


def _reload(payment: Payment) -> Payment:
    return Payment.objects.unscoped().select_related("tenant", "plan").get(pk=payment.pk)
