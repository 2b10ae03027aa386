"""Every write of the plan/usage half of billing: trials, plan changes, the access state
machine (trial -> read-only -> blocked; paying lifts it at once) and usage periods."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.errors import PaymentRequired
from apps.billing.models import (
    LIVE_STATUSES,
    AccessState,
    BillingAccount,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
    UsageMeter,
)
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import log_event
from apps.features.selectors import (
    entitlements_compute,
    entitlements_get,
    entitlements_invalidate,
    entitlements_invalidate_all,
)

GRACE_PERIOD = timedelta(days=7)  # read-only after an unpaid trial, then blocked
TRIAL_REMINDER_DAYS = (3, 1)


def _notify(tenant, kind: str, **params) -> None:
    """Send a billing e-mail after commit, on the billing queue."""
    from apps.billing.tasks import send_billing_notice_task

    tenant_id = str(tenant.pk)
    transaction.on_commit(lambda: send_billing_notice_task.delay(tenant_id, kind, params))


def billing_account_ensure(tenant) -> BillingAccount:
    account, _created = BillingAccount.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    return account


def _account_locked(tenant) -> BillingAccount:
    """The tenant's account row, locked: plan changes and state moves of one tenant queue up."""
    billing_account_ensure(tenant)
    return BillingAccount.objects.for_tenant(tenant).select_for_update().get()


@transaction.atomic
def subscription_start_trial(*, tenant, actor=None) -> Subscription:
    """Start the tenant's 14-day trial (all tools, 50 leads). A tenant gets one trial; asking
    again returns it."""
    existing = (
        Subscription.objects.for_tenant(tenant).filter(plan__trial_days__gt=0).order_by("pk")
    ).first()
    if existing is not None:
        return existing
    _account_locked(tenant)
    plan = selectors.trial_plan()
    now = timezone.now()
    ends = now + timedelta(days=plan.trial_days)
    subscription = Subscription.objects.create(
        tenant=tenant,
        plan=plan,
        status=SubscriptionStatus.TRIALING,
        current_period_start=now,
        current_period_end=ends,
        trial_ends_at=ends,
        created_by=actor,
    )
    log_event(
        "subscription_created",
        tenant_id=str(tenant.pk),
        subscription_id=subscription.pk,
        plan=plan.code,
        status=subscription.status,
    )
    log_event("trial_started", tenant_id=str(tenant.pk), trial_ends_at=ends.isoformat())
    entitlements_invalidate(tenant)
    meter_ensure(tenant)
    return subscription


def _period_for(plan: Plan, start: datetime | None, end: datetime | None) -> tuple:
    if start is not None and end is not None:
        if end <= start:
            raise ValidationFailed(_("The period must end after it starts."))
        return start, end
    start = start or timezone.now()
    return start, start + selectors.interval_delta(plan.interval)


@transaction.atomic
def subscription_activate(
    *,
    tenant,
    plan: Plan,
    actor=None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
) -> Subscription:
    """Put the tenant on `plan` now: a payment confirmed it, or staff assigned it by hand.

    Ends the other live subscriptions (a trial becomes `expired`, a paid plan `canceled`),
    lifts read-only or blocked access at once, keeps every tool override, and moves the
    current usage meter to the new limit. Subscribing to the plan it already holds answers
    409 `already_subscribed`.
    """
    if plan.is_trial:
        raise ValidationFailed(_("The trial cannot be bought."), code="plan_not_sold")
    if plan.status == PlanStatus.RETIRED:
        raise Conflict(_("This plan is no longer available."), code="plan_retired")
    account = _account_locked(tenant)
    now = timezone.now()
    live = list(
        Subscription.objects.for_tenant(tenant)
        .select_for_update()
        .filter(status__in=LIVE_STATUSES)
        .select_related("plan")
    )
    if any(s.plan_id == plan.pk for s in live):
        raise Conflict(_("The company is already subscribed to this plan."), "already_subscribed")
    for old in live:
        old.status = (
            SubscriptionStatus.EXPIRED if old.plan.is_trial else SubscriptionStatus.CANCELED
        )
        old.ended_at = now
        old.save(update_fields=["status", "ended_at", "updated_at"])
    start, end = _period_for(plan, period_start, period_end)
    subscription = Subscription.objects.create(
        tenant=tenant,
        plan=plan,
        status=SubscriptionStatus.ACTIVE,
        current_period_start=start,
        current_period_end=end,
        created_by=actor,
    )
    log_event(
        "subscription_changed" if live else "subscription_created",
        tenant_id=str(tenant.pk),
        subscription_id=subscription.pk,
        plan=plan.code,
        previous_plans=[s.plan.code for s in live],
        actor_id=getattr(actor, "pk", None),
    )
    _access_restore(tenant, account)
    entitlements_invalidate(tenant)
    meter_ensure(tenant)
    return subscription


def _access_restore(tenant, account: BillingAccount) -> None:
    if account.access_state == AccessState.ACTIVE:
        return
    previous = account.access_state
    account.access_state = AccessState.ACTIVE
    account.access_changed_at = timezone.now()
    account.read_only_until = None
    account.save(update_fields=["access_state", "access_changed_at", "read_only_until"])
    log_event("access_restored", tenant_id=str(tenant.pk), previous=previous)


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
                log_event("trial_reminder_sent", tenant_id=str(subscription.tenant_id), days=days)
                _notify(
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
            entitlements_invalidate(tenant)
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
    _notify(tenant, "trial_ended", read_only_until=until.isoformat())


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
            entitlements_invalidate(account.tenant)
            _notify(account.tenant, "access_blocked")
            blocked += 1
    return blocked


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
    entitlements = entitlements_get(tenant)
    if not entitlements.is_active:
        raise PaymentRequired(access_message(entitlements.access_state))


def access_message(state: str) -> str:
    if state == AccessState.BLOCKED:
        return _("Access is paused until the subscription is paid. Your data is kept.")
    return _(
        "Your trial has ended: the dashboard is read-only until you choose a plan. "
        "The widget keeps collecting leads."
    )


# --- usage periods --------------------------------------------------------------------------


def meter_ensure(tenant, entitlements=None) -> UsageMeter:
    """The meter of the tenant's current period, created on first use. Concurrent callers
    get the same row (unique tenant + period start)."""
    ent = entitlements or entitlements_get(tenant)
    meter, created = UsageMeter.objects.for_tenant(tenant).get_or_create(
        tenant_id=ent.tenant_id,
        period_start=ent.period_start,
        defaults={
            "period_end": ent.period_end,
            "plan_code": ent.plan_code or "",
            "lead_limit": ent.lead_limit,
            "limit_mode": ent.limit_mode,
        },
    )
    if created:
        log_event(
            "usage_period_started",
            tenant_id=ent.tenant_id,
            period_start=ent.period_start.isoformat(),
            lead_limit=ent.lead_limit,
        )
    elif (meter.lead_limit, meter.plan_code, meter.limit_mode) != (
        ent.lead_limit,
        ent.plan_code or "",
        ent.limit_mode,
    ):
        _meter_follow_plan(meter, ent)
    return meter


def _meter_follow_plan(meter: UsageMeter, ent) -> None:
    """The plan changed inside the period: keep the count, take the new limit, and re-arm
    the warnings that the new limit has not reached yet."""
    meter.lead_limit, meter.plan_code, meter.limit_mode = (
        ent.lead_limit,
        ent.plan_code or "",
        ent.limit_mode,
    )
    limit = ent.lead_limit
    if limit is None or meter.leads_used * 100 < limit * 80:
        meter.warned_80_at = None
    if limit is None or meter.leads_used < limit:
        meter.warned_100_at = None
    meter.save(
        update_fields=[
            "lead_limit",
            "plan_code",
            "limit_mode",
            "warned_80_at",
            "warned_100_at",
            "updated_at",
        ]
    )


def usage_periods_roll(now: datetime | None = None) -> int:
    """Open the current period's meter for every billed tenant that has none, and record the
    lead count of closed unlimited periods (they keep no meter on the hot path). Safe to run
    twice: meters are unique per tenant and period start."""
    now = now or timezone.now()
    covered = set(
        UsageMeter.objects.unscoped()
        .filter(period_start__lte=now, period_end__gt=now)
        .values_list("tenant_id", flat=True)
    )
    opened = 0
    tenant_ids = BillingAccount.objects.unscoped().values_list("tenant_id", flat=True)
    for tenant_id in tenant_ids.iterator():
        if tenant_id in covered:
            continue
        ent = entitlements_compute(tenant_id, now)
        with transaction.atomic():
            _close_unlimited_periods(tenant_id, before=now)
            meter_ensure(tenant_id, ent)
        opened += 1
    return opened


def _close_unlimited_periods(tenant_id, *, before: datetime) -> None:
    for meter in UsageMeter.objects.for_tenant(tenant_id).filter(
        lead_limit__isnull=True, period_end__lte=before
    ):
        used = selectors._leads_created_between(tenant_id, meter.period_start, meter.period_end)
        if used != meter.leads_used:
            UsageMeter.objects.for_tenant(tenant_id).filter(pk=meter.pk).update(leads_used=used)


def usage_warning_claim(tenant, meter_id: int, level: int) -> UsageMeter | None:
    """Claim the 80 % or 100 % warning of a meter; the first caller gets the meter, every
    later one None (so the e-mail goes out once)."""
    field = {80: "warned_80_at", 100: "warned_100_at"}[level]
    threshold = {80: F("lead_limit") * 80, 100: F("lead_limit") * 100}[level]
    claimed = (
        UsageMeter.objects.for_tenant(tenant)
        .filter(pk=meter_id, lead_limit__isnull=False, **{f"{field}__isnull": True})
        .alias(used_pct=F("leads_used") * 100)
        .filter(used_pct__gte=threshold)
        .update(**{field: timezone.now()})
    )
    return UsageMeter.objects.for_tenant(tenant).get(pk=meter_id) if claimed else None


def usage_warnings_send(tenant) -> list[int]:
    """Send the 80 % / 100 % warnings the current meter has reached and not yet sent."""
    ent = entitlements_get(tenant)
    if ent.lead_limit is None:
        return []
    meter = selectors.meter_get(tenant, ent.period_start)
    if meter is None:
        return []
    sent = []
    for level in (80, 100):
        claimed = usage_warning_claim(tenant, meter.pk, level)
        if claimed is None:
            continue
        log_event(
            "quota_warning",
            tenant_id=str(tenant.pk),
            level=level,
            used=claimed.leads_used,
            limit=claimed.lead_limit,
        )
        _notify(
            tenant,
            "usage_warning",
            level=level,
            used=claimed.leads_used,
            limit=claimed.lead_limit,
            hard=claimed.limit_mode == "hard",
            lift_plan=ent.lift_plan.name if ent.lift_plan else "",
        )
        sent.append(level)
    return sent


def usage_warnings_due_tenants(now: datetime | None = None) -> list:
    """Tenants whose current meter reached 80 % or 100 % without the warning sent (the beat
    task's safety net behind the warnings enqueued by the quota itself)."""
    now = now or timezone.now()
    meters = (
        UsageMeter.objects.unscoped()
        .filter(period_start__lte=now, period_end__gt=now, lead_limit__isnull=False)
        .alias(used_pct=F("leads_used") * 100)
        .filter(used_pct__gte=F("lead_limit") * 80)
    )
    due = meters.filter(
        Q(warned_80_at__isnull=True)
        | Q(warned_100_at__isnull=True, used_pct__gte=F("lead_limit") * 100)
    )
    return list(due.values_list("tenant_id", flat=True).distinct())


# --- plan catalogue (staff console) -----------------------------------------------------------


@transaction.atomic
def plan_save(*, plan: Plan, actor=None) -> Plan:
    """Save a plan edited by staff; every tenant's entitlements follow on the next request."""
    from apps.features.registry import ALL_TOOLS, is_tool

    unknown = [key for key in plan.tools or [] if key != ALL_TOOLS and not is_tool(key)]
    if unknown:
        raise ValidationFailed(
            _("Unknown tools: %(keys)s") % {"keys": ", ".join(unknown)},
            fields={"tools": [_("Unknown tools: %(keys)s") % {"keys": ", ".join(unknown)}]},
        )
    plan.save()
    entitlements_invalidate_all()
    return plan
