"""Celery entry points of the CRM sync (thin: the work is in sync.py). Routed with the rest of
apps.integrations to the `messaging` queue (outbound traffic)."""

from __future__ import annotations

from celery import shared_task

from apps.integrations.crm.backfill import (
    backfill_job_finished,
    backfill_prepare,
    backfill_settle,
    backfills_stalled,
    backfills_unsettled,
)
from apps.integrations.crm.sync import job_run, jobs_due, jobs_recover_abandoned
from apps.tenants.tasking import tenant_task


@tenant_task(acks_late=True, ignore_result=True)
def sync_crm_job_task(tenant, job_id: int) -> str:
    """One attempt at one sync job; safe twice (the job is claimed first). A job it makes
    (our newer status sent back to the CRM) is queued next."""
    outcome, following = job_run(tenant, job_id)
    for pk in following:
        sync_crm_job_task.delay(str(tenant.pk), pk)
    backfill_job_finished(tenant, job_id)
    return outcome


@tenant_task(acks_late=True, ignore_result=True)
def prepare_crm_backfill_task(tenant, backfill_id: int) -> int:
    """Link the company's existing leads and make their push jobs (safe twice: a linked lead
    is not chosen again); the first jobs are queued now, the dispatch beat queues the rest."""
    ids = backfill_prepare(tenant, backfill_id)
    for pk in ids:
        sync_crm_job_task.delay(str(tenant.pk), pk)
    return len(ids)


@tenant_task(acks_late=True, ignore_result=True)
def settle_crm_backfill_task(tenant, backfill_id: int) -> None:
    """Store the state a backfill's jobs reached (safe twice: each step is made once)."""
    backfill_settle(tenant, backfill_id)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_crm_jobs_task() -> int:
    """Queue every due job: retries whose time has come (beat, every minute)."""
    due = jobs_due()
    for tenant_id, job_id in due:
        sync_crm_job_task.delay(tenant_id, job_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def recover_crm_jobs_task() -> int:
    """Jobs left `running` by a dead worker are pending again, a backfill whose preparing
    task was lost is prepared again, and the unfinished ones store their state (beat)."""
    for tenant_id, backfill_id in backfills_stalled():
        prepare_crm_backfill_task.delay(tenant_id, backfill_id)
    for tenant_id, backfill_id in backfills_unsettled():
        settle_crm_backfill_task.delay(tenant_id, backfill_id)
    return jobs_recover_abandoned()
