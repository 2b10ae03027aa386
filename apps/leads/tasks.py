"""Celery entry points of the leads app."""

from __future__ import annotations

import secrets
from datetime import timedelta

import structlog
from celery import current_app, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone

from apps.core import private_files
from apps.core.errors import ApplicationError
from apps.core.replica import replica_alias
from apps.features.guards import ensure_feature
from apps.leads.export import export_to_file
from apps.leads.filters import parse_lead_filters
from apps.leads.models import ExportStatus, LeadExport
from apps.leads.retention import lead_files_purge
from apps.leads.selectors import lead_filter
from apps.leads.widget_intake import (
    BATCH,
    MAX_BATCHES,
    TAIL_SECONDS,
    intake_drain,
    intake_purge,
    intake_tail_due,
)
from apps.tenants.tasking import tenant_task

logger = structlog.get_logger(__name__)
EXPORTS_DIR = "exports"
TIME_LIMIT = settings.CELERY_LONGEST_TASK_TIME_LIMIT  # big exports
STALE_AFTER = timedelta(seconds=TIME_LIMIT + 60)


def export_name(export: LeadExport) -> str:
    token = secrets.token_hex(8)  # unguessable even to someone who can list the storage
    return f"{EXPORTS_DIR}/{export.tenant_id}/leads-{export.pk}-{token}.{export.format}"


@tenant_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 100)
def export_leads_task(tenant, export_id: int) -> None:
    """Write a LeadExport's file. Claimed with a conditional update: a re-delivered task for
    an export that is running or finished does nothing — unless the run is older than the time
    limit (its worker was killed); a failure is recorded on the row."""
    now = timezone.now()
    stale = Q(status=ExportStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    claimed = (
        LeadExport.objects.filter(pk=export_id)
        .filter(Q(status=ExportStatus.PENDING) | stale)
        .update(status=ExportStatus.RUNNING, started_at=now, rows_done=0)
    )
    if not claimed:
        return
    export = LeadExport.objects.get(pk=export_id)
    try:
        ensure_feature(tenant, "export")  # the plan may have changed since it was queued
        filters = parse_lead_filters(export.filters or {}, user=export.created_by)
        queryset = lead_filter(tenant, filters).using(replica_alias())  # rows: the replica
        LeadExport.objects.filter(pk=export_id).update(rows_total=queryset.count())
        name = export_name(export)

        def progress(rows: int) -> None:
            LeadExport.objects.filter(pk=export_id).update(rows_done=rows)

        with private_files.local_copy(name) as path:
            export_to_file(queryset, export.format, path, on_rows=progress)
    except ApplicationError as exc:  # expected (a locked tool, a filter gone bad): no trace
        _fail(export_id, exc.message)
        return
    except Exception as exc:
        logger.exception("lead_export_failed", export_id=export_id)
        _fail(export_id, str(exc))
        return
    LeadExport.objects.filter(pk=export_id).update(
        status=ExportStatus.DONE,
        file=name,
        finished_at=timezone.now(),
    )


def _fail(export_id: int, reason: str) -> None:
    LeadExport.objects.filter(pk=export_id).update(
        status=ExportStatus.FAILED, error=reason[:1000], finished_at=timezone.now()
    )


@shared_task(acks_late=True, ignore_result=True)
def purge_lead_files_task() -> dict[str, int]:
    """Delete import/export files past their retention (apps/leads/retention.py), and the
    widget intake's marks of submissions stored a day ago (apps/leads/widget_intake.py)."""
    return {**lead_files_purge(), "widget_intake_marks": intake_purge()}


@shared_task(acks_late=True, ignore_result=True)
def widget_intake_drain_task() -> int:
    """Store the widget's queue (apps/leads/widget_intake.py), batch by batch, at most
    MAX_BATCHES. After taking anything it looks again TAIL_SECONDS later for what arrived in
    between (one such look pending at a time), so while submissions keep coming a drain runs
    every TAIL_SECONDS; a web process wakes one only when none is pending. The beat runs it
    every minute too: after a database outage, or a wake the broker lost."""
    taken = 0
    try:
        for _batch in range(MAX_BATCHES):
            count = intake_drain()
            taken += count
            if count < BATCH:
                break
    except (OperationalError, InterfaceError):  # the rows stay queued for the beat's drain
        logger.warning("widget_intake_database_down")
        return taken
    # One tail at a time: every drain that stores something would otherwise start a chain.
    if taken and not current_app.conf.task_always_eager and intake_tail_due():
        widget_intake_drain_task.apply_async(countdown=TAIL_SECONDS)
    return taken


def widget_intake_wake() -> None:
    """Queue a drain; a broker that cannot take it leaves the queue to the beat's drain."""
    try:
        widget_intake_drain_task.apply_async()
    except Exception:
        logger.exception("widget_intake_wake_failed")
