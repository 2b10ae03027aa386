"""Celery entry points of enrichment (thin: the work is in services/).

The tasks keep the names they had in apps.leads.enrichment.tasks, so messages already queued
and the beat schedule (apps/enrichment/schedules.py) still reach them; the services queue them
by those names (services/queue.py).
"""

from __future__ import annotations

from celery import shared_task

from apps.billing.services.payments import ProviderUnavailable
from apps.enrichment import services
from apps.enrichment.services.queue import ENRICH_LEAD_TASK, FAN_OUT_TASK, OLD, SETTLE_TASK
from apps.features.guards import task_requires_feature
from apps.tenants.tasking import tenant_task

RATE_LIMIT_COUNTDOWN = 30  # seconds before a lead the shared limiter turned away comes back


@tenant_task(name=ENRICH_LEAD_TASK, queue="ai", acks_late=True)
@task_requires_feature(services.FEATURE, on_locked=services.enrichment_item_locked)
def enrich_lead_task(tenant, item_id: int) -> str:
    """Enrich one lead of a run. Safe to deliver twice: the row is claimed first."""
    outcome = services.enrichment_item_process(tenant, item_id)
    if outcome == services.RETRY_LATER:
        enrich_lead_task.apply_async(
            (str(tenant.pk), item_id), queue="ai", countdown=RATE_LIMIT_COUNTDOWN
        )
    return outcome


@tenant_task(name=FAN_OUT_TASK, queue="ai", acks_late=True)
def enrichment_fan_out_task(tenant, run_id: str) -> int:
    """Queue the lead tasks of a big run."""
    return services.enrichment_run_fan_out(tenant, run_id, direct=True)


@tenant_task(
    name=SETTLE_TASK,
    queue="billing",
    acks_late=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=12,
)
def enrichment_settle_task(tenant, run_id: str) -> None:
    """Settle a finished run's charge (gives back the leads not enriched); idempotent."""
    services.enrichment_run_settle(tenant, run_id)


@shared_task(name=f"{OLD}recover_stale_enrichment_runs_task", acks_late=True, ignore_result=True)
def recover_stale_enrichment_runs_task() -> dict[str, int]:
    """Resume or end runs a dead process left waiting for payment, queue again the leads
    whose worker died with their message lost, and the settles of finished runs that never
    settled (beat)."""
    outcome = services.enrichment_runs_recover_stale()
    outcome["requeued"] = services.enrichment_items_requeue_stuck()
    outcome["settled"] = services.enrichment_runs_settle_unsettled()
    return outcome
