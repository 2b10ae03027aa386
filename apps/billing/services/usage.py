"""Usage periods and their meters; the 80 % / 100 % warnings."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.billing import selectors
from apps.billing.events import QuotaWarning
from apps.billing.lead_counter import leads_created_between
from apps.billing.models import (
    BillingAccount,
    UsageMeter,
)
from apps.billing.plan_limits import plan_limits_compute, plan_limits_get
from apps.billing.services.notices import notice_enqueue
from apps.core.events import emit, log_event

# --- usage periods --------------------------------------------------------------------------


def meter_ensure(tenant, entitlements=None) -> UsageMeter:
    """The meter of the tenant's current period, created on first use. Concurrent callers
    get the same row (unique tenant + period start)."""
    ent = entitlements or plan_limits_get(tenant)
    meter, created = UsageMeter.objects.for_tenant(tenant).get_or_create(
        tenant_id=ent.tenant_id,
        period_start=ent.period_start,
        defaults={
            "period_end": ent.period_end,
            "plan_code": ent.plan_code or "",
            "lead_limit": ent.lead_limit,
            "limit_mode": ent.limit_mode,
            # a limited plan's quota starts at its meter; an unlimited plan's meter may open
            # after the period's first leads (they reserve nothing before): counted once
            "exact": ent.lead_limit is not None,
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
    lead count of closed unlimited periods whose meter was never counted. Safe to run
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
        ent = plan_limits_compute(tenant_id, now)
        with transaction.atomic():
            _close_unlimited_periods(tenant_id, before=now)
            meter_ensure(tenant_id, ent)
        opened += 1
    return opened


def _close_unlimited_periods(tenant_id, *, before: datetime) -> None:
    for meter in UsageMeter.objects.for_tenant(tenant_id).filter(
        lead_limit__isnull=True, exact=False, period_end__lte=before
    ):
        used = leads_created_between(tenant_id, meter.period_start, meter.period_end)
        UsageMeter.objects.for_tenant(tenant_id).filter(pk=meter.pk).update(
            leads_used=used, exact=True
        )


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
    ent = plan_limits_get(tenant)
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
        emit(
            QuotaWarning(
                tenant_id=str(tenant.pk),
                level=level,
                used=claimed.leads_used,
                limit=claimed.lead_limit,
            )
        )
        notice_enqueue(
            tenant,
            "usage_warning",
            level=level,
            used=claimed.leads_used,
            limit=claimed.lead_limit,
            hard=claimed.limit_mode == "hard",
            lift_plan_code=ent.lift_plan.code if ent.lift_plan else "",
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
