"""Keeping `DailyLeadStats` up to date (the writes of analytics).

A rollup row is a pure function of the leads created on one tenant-local day, so every write
here is "recompute these days from the leads table": idempotent, self-healing and equal to a
recount by construction. Three things call it:

- the domain events leads emits (subscribed in apps/analytics/wiring.py, after commit): the
  days of the leads an event names are recomputed at once — staleness zero for creations,
  status changes and meetings;
- the beat task `analytics.refresh_recent` (every 15 minutes) recomputes the tenant's last two
  local days, catching what emits no event (a first contact recorded by messaging, a lead moved
  to another list, a deletion): staleness at most 15 minutes for those;
- the nightly `analytics.refresh_history` and `manage.py analytics_rebuild` recompute the last
  120 days (or any range) — the repair/backfill path.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from apps.analytics.models import NO_LIST, TTFC_BOUNDS, DailyLeadStats
from apps.leads.models import Lead, LeadStatus

logger = structlog.get_logger(__name__)
VERSION_KEY = "analytics:version:"
WRITE_DB = "default"  # rollups read the primary: a replica may lag behind the event
CONTACTED = (LeadStatus.CONTACTED, LeadStatus.BOOKED, LeadStatus.WON)
BOOKED = (LeadStatus.BOOKED, LeadStatus.WON)
COUNTERS = (
    "created",
    "contacted",
    "booked",
    "won",
    "lost",
    "unanswered",
    "ttfc_count",
    "ttfc_seconds",
    *(f"h{i}" for i in range(len(TTFC_BOUNDS) + 1)),
)


def tenant_zone(tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day as aware datetimes (DST-safe: local midnights)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _ttfc():
    return F("first_contact_at") - F("created_at")


def _aggregates() -> dict:
    contacted = Q(first_contact_at__isnull=False) | Q(status__in=CONTACTED)
    answered = Q(first_contact_at__isnull=False)
    buckets = {}
    lower = None
    for i, bound in enumerate((*TTFC_BOUNDS, None)):
        cond = answered
        if lower is not None:
            cond &= Q(first_contact_at__gte=F("created_at") + timedelta(seconds=lower))
        if bound is not None:
            cond &= Q(first_contact_at__lt=F("created_at") + timedelta(seconds=bound))
        buckets[f"h{i}"] = Count("id", filter=cond)
        lower = bound
    return {
        "created": Count("id"),
        "contacted": Count("id", filter=contacted),
        "booked": Count("id", filter=Q(status__in=BOOKED)),
        "won": Count("id", filter=Q(status=LeadStatus.WON)),
        "lost": Count("id", filter=Q(status=LeadStatus.LOST)),
        "unanswered": Count("id", filter=Q(status=LeadStatus.NEW, first_contact_at__isnull=True)),
        "ttfc_count": Count("id", filter=answered),
        "ttfc_total": Sum(_ttfc(), filter=answered),
        **buckets,
    }


def day_recount(tenant, day: date, zone: ZoneInfo | None = None) -> list[DailyLeadStats]:
    """The rollup rows of one local day, counted from the leads table (not saved)."""
    zone = zone or tenant_zone(tenant)
    start, end = day_bounds(day, zone)
    groups = (
        Lead.objects.for_tenant(tenant)
        .using(WRITE_DB)
        .filter(created_at__gte=start, created_at__lt=end)
        .values("source", "list_id")
        .annotate(**_aggregates())
        .order_by()
    )
    rows = []
    for group in groups:
        total = group.pop("ttfc_total")
        values = {key: group[key] for key in COUNTERS if key in group}
        values["ttfc_seconds"] = int(total.total_seconds()) if total else 0
        rows.append(
            DailyLeadStats(
                tenant=tenant,
                day=day,
                source=group["source"],
                list_id=group["list_id"] or NO_LIST,
                **values,
            )
        )
    return _merge_same_key(rows)


def _merge_same_key(rows: list[DailyLeadStats]) -> list[DailyLeadStats]:
    merged: dict[tuple, DailyLeadStats] = {}
    for row in rows:
        key = (row.source, row.list_id)
        if key in merged:
            for name in COUNTERS:
                setattr(merged[key], name, getattr(merged[key], name) + getattr(row, name))
        else:
            merged[key] = row
    return list(merged.values())


def rollups_version(tenant) -> str:
    """Changes whenever the tenant's rollups are written: part of the dashboard's cache key."""
    return cache.get(VERSION_KEY + str(tenant.pk)) or "0"


def rollups_changed(tenant) -> None:
    cache.set(VERSION_KEY + str(tenant.pk), uuid.uuid4().hex, None)


def days_refresh(tenant, days) -> int:
    """Recompute the rollup rows of `days` (local dates) of `tenant`; returns rows written."""
    zone = tenant_zone(tenant)
    written = 0
    for day in sorted(set(days)):
        rows = day_recount(tenant, day, zone)
        with transaction.atomic(using=WRITE_DB):
            keep = Q()
            for row in rows:
                keep |= Q(source=row.source, list_id=row.list_id)
            stale = DailyLeadStats.objects.for_tenant(tenant).using(WRITE_DB).filter(day=day)
            if rows:
                stale = stale.exclude(keep)
            stale.delete()
            if rows:
                DailyLeadStats.objects.db_manager(WRITE_DB).bulk_create(
                    rows,
                    update_conflicts=True,
                    unique_fields=["tenant", "day", "source", "list_id"],
                    update_fields=[*COUNTERS, "computed_at"],
                )
            transaction.on_commit(lambda: rollups_changed(tenant), using=WRITE_DB)
        written += len(rows)
    return written


def range_refresh(tenant, first: date, last: date) -> int:
    """Recompute every local day from `first` to `last` inclusive (backfill / repair)."""
    span = (last - first).days
    return days_refresh(tenant, (first + timedelta(days=i) for i in range(span + 1)))


def recent_days(tenant, count: int, now: datetime) -> list[date]:
    today = local_day(now, tenant_zone(tenant))
    return [today - timedelta(days=i) for i in range(count)]


def lead_days(tenant, lead_ids) -> set[date]:
    """The local days the given leads were created on."""
    zone = tenant_zone(tenant)
    created = (
        Lead.objects.for_tenant(tenant)
        .using(WRITE_DB)
        .filter(pk__in=list(lead_ids))
        .values_list("created_at", flat=True)
    )
    return {local_day(moment, zone) for moment in created}
