"""Queueing a run's work: one task per lead (big runs through a fan-out task), and its settle.

The tasks are queued by the names they are registered under (`celery.signature`): tasks.py
runs these services, whose steps queue the next tasks, so this module cannot import it. The
names are the ones the tasks had in apps.leads.enrichment.tasks, so messages already queued
and the beat schedule (apps/enrichment/schedules.py) still reach them; tasks.py declares
its tasks with these constants, and apps/enrichment/wiring.py imports it in every process.
"""

from __future__ import annotations

from celery import signature

from apps.enrichment.models import LeadEnrichment
from apps.enrichment.services.common import DIRECT_FANOUT, Status

OLD = "apps.leads.enrichment.tasks."  # the tasks' names before the app moved
ENRICH_LEAD_TASK = f"{OLD}enrich_lead_task"
FAN_OUT_TASK = f"{OLD}enrichment_fan_out_task"
SETTLE_TASK = f"{OLD}enrichment_settle_task"


def enrichment_run_fan_out(tenant, run_id, *, direct: bool = False) -> int:
    """Queue one task per waiting lead of a running run (idempotent: a task finding its row
    already taken does nothing). Big runs are queued by a task of their own (`direct` is
    that task), so the request that started the run returns at once."""
    items = LeadEnrichment.objects.for_tenant(tenant).filter(run_id=run_id, status=Status.PENDING)
    count = items.count()
    if count > DIRECT_FANOUT and not direct:
        signature(FAN_OUT_TASK, args=(str(tenant.pk), str(run_id)), queue="ai").apply_async()
        return count
    for item_id in items.order_by("pk").values_list("pk", flat=True).iterator():
        enrich_lead_later(tenant.pk, item_id)
    return count


def enrich_lead_later(tenant_id, item_id: int) -> None:
    """Queue the task of one lead (safe to repeat: the task claims its row first)."""
    signature(ENRICH_LEAD_TASK, args=(str(tenant_id), item_id), queue="ai").apply_async()


def enrichment_run_settle_later(tenant, run_id) -> None:
    """Queue the settle of a run that just finished (billing queue; retried while the
    payment provider does not answer)."""
    signature(SETTLE_TASK, args=(str(tenant.pk), str(run_id)), queue="billing").apply_async()
