"""Celery entry points of analytics (beat schedules in apps/analytics/schedules.py)."""

from __future__ import annotations

import time
from datetime import date, datetime
from types import SimpleNamespace

import structlog
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from apps.analytics.reports import lead_drop_check, weekly_report_send
from apps.analytics.rollups import (
    days_refresh,
    lead_days,
    local_day,
    range_refresh,
    recent_days,
    tenant_zone,
)
from apps.core.cache_marks import mark_set_or_get
from apps.leads.events import LeadsCreated, LeadStatusChanged, MeetingBooked, MeetingCanceled
from apps.tenants.flags import tenant_time_zone
from apps.tenants.models import Tenant

logger = structlog.get_logger(__name__)
RECENT_DAYS = 2
HISTORY_DAYS = 120
# A day's rollup is recounted a few seconds after the first event that touches it, once for
# every event in between: a busy widget does not recount the day on every lead.
REFRESH_DELAY_SECONDS = 5


# --- rollups kept up to date from the domain events leads emits ------------------------------


def on_leads_created(event: LeadsCreated) -> None:
    if not event.created_at:  # too many moments to list (or an older emitter): read the leads
        _queue_refresh(event.tenant_id, event.lead_ids)
        return
    try:
        zone = tenant_zone(SimpleNamespace(time_zone=tenant_time_zone(event.tenant_id)))
        days = {local_day(datetime.fromisoformat(at), zone) for at in event.created_at}
        _queue_days(event.tenant_id, days)
    except Exception:
        logger.exception("analytics_rollup_failed", tenant_id=str(event.tenant_id))


def on_status_changed(event: LeadStatusChanged) -> None:
    _queue_refresh(event.tenant_id, [lead_id for lead_id, _old in event.previous])


def on_meeting(event: MeetingBooked | MeetingCanceled) -> None:
    _queue_refresh(event.tenant_id, [event.lead_id])


EVENT_HANDLERS = (
    (LeadsCreated, on_leads_created),
    (LeadStatusChanged, on_status_changed),
    (MeetingBooked, on_meeting),
    (MeetingCanceled, on_meeting),
)


def _refresh_key(tenant_id, day: str) -> str:
    return f"analytics:refresh-queued:{tenant_id}:{day}"


def _queue_refresh(tenant_id, lead_ids) -> None:
    """Queue a recount of each day the leads were created on, unless one is queued already
    (it has not started: it will count these leads too). An analytics failure never breaks
    the work that emitted the event: the beat task repairs the day later."""
    try:
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None or not lead_ids:
            return
        _queue_days(tenant.pk, lead_days(tenant, lead_ids))
    except Exception:
        logger.exception("analytics_rollup_failed", tenant_id=str(tenant_id))


# (tenant, day) → until when (wall-clock seconds) a lead committed now is certainly counted
# by the recount queued for that day: it cannot start before REFRESH_DELAY_SECONDS after it
# was queued, and the mark in the cache says when that was (whichever process queued it), so
# until shortly before then no process needs to ask the cache again. CLOCK_MARGIN_SECONDS
# allows for the clocks of the web hosts and the workers to differ.
_counted_until: dict[tuple[str, str], float] = {}
CLOCK_MARGIN_SECONDS = 1.0


def _tasks_run_at_once() -> bool:
    """Eager Celery (tests, a worker-less setup): a recount queued here is already over."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER or refresh_day_task.app.conf.task_always_eager)


def _queue_days(tenant_id, days) -> None:
    remember = not _tasks_run_at_once()
    now = time.time()
    if len(_counted_until) > 1000:
        for key, until in list(_counted_until.items()):
            if until <= now:
                del _counted_until[key]
    for day in sorted(days):
        mark = (str(tenant_id), day.isoformat())
        if remember and now < _counted_until.get(mark, 0.0):
            continue
        queued_at = mark_set_or_get(
            _refresh_key(tenant_id, day.isoformat()), now, REFRESH_DELAY_SECONDS * 60
        )
        if queued_at is None:
            refresh_day_task.apply_async(
                (str(tenant_id), day.isoformat()), countdown=REFRESH_DELAY_SECONDS
            )
            queued_at = now
        if remember and isinstance(queued_at, float):
            _counted_until[mark] = queued_at + REFRESH_DELAY_SECONDS - CLOCK_MARGIN_SECONDS


@shared_task(acks_late=True, ignore_result=True)
def refresh_day_task(tenant_id: str, day: str) -> int:
    """Recount one day: the mark goes first, so an event after it queues the next recount."""
    cache.delete(_refresh_key(tenant_id, day))
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    return days_refresh(tenant, [date.fromisoformat(day)]) if tenant else 0


def _each_tenant(work, label: str) -> int:
    """Run `work(tenant)` for every tenant; one tenant's failure never stops the others."""
    done = 0
    for tenant in Tenant.objects.all().order_by("pk").iterator():
        try:
            done += work(tenant) or 0
        except Exception:
            logger.exception(label, tenant_id=str(tenant.pk))
    return done


@shared_task(acks_late=True, ignore_result=True)
def refresh_recent_task() -> int:
    now = timezone.now()
    return _each_tenant(
        lambda t: days_refresh(t, recent_days(t, RECENT_DAYS, now)), "analytics_refresh_failed"
    )


@shared_task(acks_late=True, ignore_result=True)
def refresh_history_task() -> int:
    now = timezone.now()

    def work(tenant):
        days = recent_days(tenant, HISTORY_DAYS, now)
        return range_refresh(tenant, days[-1], days[0])

    return _each_tenant(work, "analytics_history_failed")


@shared_task(acks_late=True, ignore_result=True)
def weekly_reports_task() -> int:
    now = timezone.now()
    return _each_tenant(lambda t: weekly_report_send(t, now), "analytics_weekly_report_failed")


@shared_task(acks_late=True, ignore_result=True)
def lead_drop_alerts_task() -> int:
    now = timezone.now()
    return _each_tenant(
        lambda t: 1 if lead_drop_check(t, now) else 0, "analytics_drop_alert_failed"
    )
