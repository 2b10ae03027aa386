"""Celery entry points of analytics (beat schedules in apps/analytics/schedules.py)."""

from __future__ import annotations

import structlog
from celery import shared_task
from django.utils import timezone

from apps.analytics.reports import lead_drop_check, weekly_report_send
from apps.analytics.rollups import days_refresh, range_refresh, recent_days
from apps.tenants.models import Tenant

logger = structlog.get_logger(__name__)
RECENT_DAYS = 2
HISTORY_DAYS = 120


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
