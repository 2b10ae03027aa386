"""Queueing a run's work: one task per lead (big runs through a fan-out task), and its settle.

The tasks module imports the services, so the task functions are looked up when queueing.
"""

from __future__ import annotations

from apps.enrichment.models import LeadEnrichment
from apps.enrichment.services.common import DIRECT_FANOUT, Status


def _tasks():
    from apps.enrichment import tasks  # same app: tasks.py imports the services

    return tasks


def enrichment_run_fan_out(tenant, run_id, *, direct: bool = False) -> int:
    """Queue one task per waiting lead of a running run (idempotent: a task finding its row
    already taken does nothing). Big runs are queued by a task of their own (`direct` is
    that task), so the request that started the run returns at once."""
    tasks = _tasks()
    items = LeadEnrichment.objects.for_tenant(tenant).filter(run_id=run_id, status=Status.PENDING)
    count = items.count()
    if count > DIRECT_FANOUT and not direct:
        tasks.enrichment_fan_out_task.apply_async((str(tenant.pk), str(run_id)), queue="ai")
        return count
    for item_id in items.order_by("pk").values_list("pk", flat=True).iterator():
        enrich_lead_later(tenant.pk, item_id)
    return count


def enrich_lead_later(tenant_id, item_id: int) -> None:
    """Queue the task of one lead (safe to repeat: the task claims its row first)."""
    _tasks().enrich_lead_task.apply_async((str(tenant_id), item_id), queue="ai")


def enrichment_run_settle_later(tenant, run_id) -> None:
    """Queue the settle of a run that just finished (billing queue; retried while the
    payment provider does not answer)."""
    _tasks().enrichment_settle_task.apply_async((str(tenant.pk), str(run_id)), queue="billing")
