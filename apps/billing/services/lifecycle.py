"""The trial's course and the access state machine: trial -> read-only (7 days) ->
blocked; paying lifts it at once (`subscriptions.subscription_activate`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.errors import PaymentRequired
from apps.billing.events import TrialEnding
from apps.billing.models import (
    LIVE_STATUSES,
    AccessState,
    BillingAccount,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.plan_limits import access_state_changed, plan_limits_get, subscription_changed
from apps.billing.services.notices import notice_enqueue
from apps.billing.services.subscriptions import _access_restore, _account_locked
from apps.core.events import emit, log_event

GRACE_PERIOD = timedelta(days=7)  # read-only after an unpaid trial, then blocked
TRIAL_REMINDER_DAYS = (3, 1)


# --- the trial's course (beat) --------------------------------------------------------------


def trial_reminders_send(now: datetime | None = None) -> int:
    """E-mail administrators 3 days and 1 day before their trial ends, once each.

    The 3-day reminder only goes out while more than a day is left, so a late run never
    sends both at once."""
    now = now or timezone.now()
    sent = 0
    for days in TRIAL_REMINDER_DAYS:
        field = f"trial_reminded_{days}d_at"
        # The 3-day window stops where the 1-day one starts.
        window_start = now + timedelta(days=1 if days > 1 else 0)
        due = Subscription.objects.unscoped().filter(
            status=SubscriptionStatus.TRIALING,
            trial_ends_at__gt=window_start,
            trial_ends_at__lte=now + timedelta(days=days),
            **{f"{field}__isnull": True},
        )
        for subscription in due.select_related("tenant"):
            with transaction.atomic():
                claimed = (
                    Subscription.objects.unscoped()
                    .filter(pk=subscription.pk, **{f"{field}__isnull": True})
                    .update(**{field: now})
                )
                if not claimed:
                    continue
                emit(TrialEnding(tenant_id=str(subscription.tenant_id), days=days))
                notice_enqueue(
                    subscription.tenant,
                    "trial_reminder",
                    days=days,
                    trial_ends_at=subscription.trial_ends_at.isoformat(),
                )
                sent += 1
    return sent


def trials_expire(now: datetime | None = None) -> int:
    """End trials that ran out unpaid: the tenant becomes read-only for 7 days (the widget
    keeps collecting leads, paid tools are off). Safe to run twice."""
    now = now or timezone.now()
    ended = 0
    for subscription in selectors.subscriptions_trialing_due(now):
        with transaction.atomic():
            claimed = (
                Subscription.objects.unscoped()
                .filter(pk=subscription.pk, status=SubscriptionStatus.TRIALING)
                .update(status=SubscriptionStatus.EXPIRED, ended_at=now, updated_at=now)
            )
            if not claimed:
                continue
            tenant = subscription.tenant
            log_event("trial_ended", tenant_id=str(tenant.pk), subscription_id=subscription.pk)
            subscription_changed(tenant)
            paid = Subscription.objects.for_tenant(tenant).filter(status__in=LIVE_STATUSES)
            if not paid.exists():
                _access_read_only(tenant, until=subscription.trial_ends_at + GRACE_PERIOD)
            ended += 1
    return ended


def _access_read_only(tenant, *, until: datetime) -> None:
    account = _account_locked(tenant)
    if account.access_state != AccessState.ACTIVE:
        return
    account.access_state = AccessState.READ_ONLY
    account.access_changed_at = timezone.now()
    account.read_only_until = until
    account.save(update_fields=["access_state", "access_changed_at", "read_only_until"])
    log_event("access_read_only", tenant_id=str(tenant.pk), until=until.isoformat())
    notice_enqueue(tenant, "trial_ended", read_only_until=until.isoformat())


def access_block_due(now: datetime | None = None) -> int:
    """Block tenants whose read-only grace is over: the dashboard shows only billing, the
    widget says the form is unavailable; every row is kept. Safe to run twice."""
    now = now or timezone.now()
    blocked = 0
    due = BillingAccount.objects.unscoped().filter(
        access_state=AccessState.READ_ONLY, read_only_until__lte=now
    )
    for account in due.select_related("tenant"):
        with transaction.atomic():
            claimed = (
                BillingAccount.objects.unscoped()
                .filter(pk=account.pk, access_state=AccessState.READ_ONLY)
                .update(access_state=AccessState.BLOCKED, access_changed_at=now)
            )
            if not claimed:
                continue
            log_event("access_blocked", tenant_id=str(account.tenant_id))
            access_state_changed(account.tenant)
            notice_enqueue(account.tenant, "access_blocked")
            blocked += 1
    return blocked


@transaction.atomic
def access_block(*, tenant, reason: str) -> bool:
    """Block a tenant now (e.g. dunning's grace is over: the payments work calls this). Data
    is kept; `subscription_activate` lifts it. Returns False if it was already blocked."""
    account = _account_locked(tenant)
    if account.access_state == AccessState.BLOCKED:
        return False
    account.access_state = AccessState.BLOCKED
    account.access_changed_at = timezone.now()
    account.save(update_fields=["access_state", "access_changed_at"])
    log_event("access_blocked", tenant_id=str(tenant.pk), reason=reason)
    access_state_changed(tenant)
    notice_enqueue(tenant, "access_blocked")
    return True


@transaction.atomic
def access_restore(*, tenant) -> bool:
    """Lift read-only or blocked access (e.g. a dunning retry succeeded on the same plan).
    Returns False if the tenant was already active."""
    account = _account_locked(tenant)
    if account.access_state == AccessState.ACTIVE:
        return False
    _access_restore(tenant, account)
    access_state_changed(tenant)
    return True


def billing_transitions_run(now: datetime | None = None) -> dict[str, int]:
    """One pass of the trial lifecycle; the beat task runs it every few minutes."""
    now = now or timezone.now()
    return {
        "reminded": trial_reminders_send(now),
        "trials_ended": trials_expire(now),
        "blocked": access_block_due(now),
    }


def access_ensure_writable(tenant) -> None:
    """Raise PaymentRequired while the tenant is read-only or blocked (for services that
    must refuse writes outside a request, e.g. imports started by a task)."""
    limits = plan_limits_get(tenant)
    if not limits.is_active:
        raise PaymentRequired(access_message(limits.access_state, limits.read_only_until))


def access_message(state: str, read_only_until: datetime | None = None) -> str:
    """What a refused write says. Read-only without an end date is a paused subscription
    (only pausing sets it so); with one, the grace after a trial or a cancellation."""
    if state == AccessState.BLOCKED:
        return _("Access is paused until the subscription is paid. Your data is kept.")
    if state == AccessState.READ_ONLY and read_only_until is None:
        return _(
            "The subscription is paused: the dashboard is read-only until you resume it. "
            "The widget keeps collecting leads."
        )
    return _(
        "Your trial has ended: the dashboard is read-only until you choose a plan. "
        "The widget keeps collecting leads."
    )
