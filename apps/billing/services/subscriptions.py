"""Trials, plan changes and the staff-edited plan catalogue."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.models import (
    LIVE_STATUSES,
    AccessState,
    BillingAccount,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.plan_limits import plan_catalogue_changed, subscription_changed
from apps.billing.plan_tools import plan_tools_unknown
from apps.billing.services.usage import meter_ensure
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import log_event


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
    subscription_changed(tenant)
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
    subscription_changed(tenant)
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


# --- plan catalogue (staff console) -----------------------------------------------------------


@transaction.atomic
def plan_save(*, plan: Plan, actor=None) -> Plan:
    """Save a plan edited by staff; every tenant's entitlements follow on the next request."""
    unknown = plan_tools_unknown(plan.tools)
    if unknown:
        raise ValidationFailed(
            _("Unknown tools: %(keys)s") % {"keys": ", ".join(unknown)},
            fields={"tools": [_("Unknown tools: %(keys)s") % {"keys": ", ".join(unknown)}]},
        )
    plan.save()
    plan_catalogue_changed(plan)
    return plan
