"""Sending the leads that existed before the CRM was connected ("backfill").

Started by an admin (services.backfill_start); a Celery task links every lead not linked yet
and makes one PUSH job per lead, marked with the backfill: from there the jobs are the ones of
any new lead (sync.py), with their rate limits, retries and log rows. A lead already linked
(pushed before, by a new-lead event or an earlier backfill) gets no job: sending twice is not
possible. Progress is counted from the jobs. States move forward only: preparing -> running
(every job made) -> waiting_retry (every lead tried; only pushes that failed for a passing
reason wait for their next try, up to ~17.5 h away) -> done (every job finished). Only a
preparing or running backfill blocks a new one: a new one chooses unlinked leads only, so the
leads still waiting for a retry are not sent twice (their link exists, with its job).

The state is stored where the work happens: after each job ran (its task), after preparing,
before a new start, and by the recovery beat. Readers (the page, the API) never write: they
show the state the jobs prove (backfill_state), stored or not yet.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone

from apps.integrations.crm.models import (
    BACKFILL_SENDING,
    BackfillState,
    CrmBackfill,
    CrmConnection,
    CrmLeadLink,
    CrmSyncJob,
    JobKind,
    JobStatus,
)
from apps.leads.models import Lead
from apps.tenants.audit import AuditAction, audit_record

BATCH = 500  # leads linked (and jobs made) per transaction
STALLED = timedelta(minutes=10)  # preparing longer than this: its task was lost, run it again
QUEUE_FIRST = 200  # jobs queued at once, as queue.QUEUE_AT_ONCE; the dispatch beat the rest
FINISHED = (JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED)
OUTCOMES = ("pushed", "skipped", "failed")  # of finished jobs, as a done backfill's result


def leads_unlinked(tenant, connection: CrmConnection, since=None) -> QuerySet:
    """The company's leads with no deal link in this connection (created since `since`).
    Leads held for quota are not shown to the company yet: they are not sent either."""
    linked = CrmLeadLink.objects.for_tenant(tenant).filter(connection=connection)
    leads = (
        Lead.objects.for_tenant(tenant).filter(held=False).exclude(pk__in=linked.values("lead_id"))
    )
    return leads.filter(created_at__gte=since) if since else leads


def backfill_active(tenant, connection: CrmConnection) -> CrmBackfill | None:
    """The connection's backfill still sending (preparing or running), its state stored up to
    date first (for backfill_start, a write): one that has just tried its last lead (waiting
    for retries, or done) is not, and no longer holds the one-sending constraint."""
    backfill = (
        CrmBackfill.objects.for_tenant(tenant)
        .filter(connection=connection, state__in=BACKFILL_SENDING)
        .first()
    )
    if backfill is not None:
        backfill_refresh(tenant, backfill)
    return backfill if backfill is not None and backfill.state in BACKFILL_SENDING else None


def backfill_last(tenant, connection: CrmConnection | None) -> CrmBackfill | None:
    """The connection's latest backfill as stored (a read: backfill_progress shows its state)."""
    if connection is None:
        return None
    return CrmBackfill.objects.for_tenant(tenant).filter(connection=connection).first()


def backfill_prepare(tenant, backfill_id: int) -> list[int]:
    """Link the leads and make their jobs, a batch per transaction; the ids of the jobs to
    queue at once (the dispatch beat picks the rest, as for an import). Safe to run again:
    a lead linked by a previous run is not chosen again."""
    backfill = (
        CrmBackfill.objects.for_tenant(tenant)
        .filter(pk=backfill_id, state=BackfillState.PREPARING)
        .select_related("connection")
        .first()
    )
    if backfill is None:
        return []
    connection = backfill.connection
    while ids := list(
        leads_unlinked(tenant, connection, backfill.since)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    ):
        _link_batch(tenant, backfill, ids)
    CrmBackfill.objects.for_tenant(tenant).filter(
        pk=backfill.pk, state=BackfillState.PREPARING
    ).update(state=BackfillState.RUNNING)
    backfill.refresh_from_db()
    backfill_refresh(tenant, backfill)
    return list(
        CrmSyncJob.objects.for_tenant(tenant)
        .filter(backfill=backfill, status=JobStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:QUEUE_FIRST]
    )


def _link_batch(tenant, backfill: CrmBackfill, lead_ids: list[int]) -> None:
    connection, now = backfill.connection, timezone.now()
    with transaction.atomic():
        # A lead linked meanwhile by its own new-lead event keeps that link and its job.
        CrmLeadLink.objects.bulk_create(
            [CrmLeadLink(tenant=tenant, connection=connection, lead_id=pk) for pk in lead_ids],
            ignore_conflicts=True,
        )
        links = CrmLeadLink.objects.for_tenant(tenant).filter(
            connection=connection, lead_id__in=lead_ids, jobs__isnull=True
        )
        made = CrmSyncJob.objects.bulk_create(
            CrmSyncJob(
                tenant=tenant,
                connection=connection,
                link_id=link_id,
                backfill=backfill,
                kind=JobKind.PUSH,
                next_attempt_at=now,
            )
            for link_id in links.values_list("pk", flat=True)
        )
        CrmBackfill.objects.for_tenant(tenant).filter(pk=backfill.pk).update(
            total=F("total") + len(made)
        )


def backfill_counts(tenant, backfill: CrmBackfill) -> dict[str, int]:
    """Its jobs: finished ones by outcome (pushed, skipped, failed; `done` is their sum), and
    unfinished ones: `retrying` (failed for a passing reason, waiting for their next try) and
    `waiting` (not tried yet, or at their first try)."""
    unfinished, erred = ~Q(status__in=FINISHED), ~Q(last_error={})
    counts = (
        CrmSyncJob.objects.for_tenant(tenant)
        .filter(backfill=backfill)
        .aggregate(
            pushed=Count("pk", filter=Q(status=JobStatus.DONE)),
            skipped=Count("pk", filter=Q(status=JobStatus.SKIPPED)),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
            retrying=Count("pk", filter=unfinished & erred),
            waiting=Count("pk", filter=unfinished & ~erred),
        )
    )
    counts = {name: value or 0 for name, value in counts.items()}
    counts["done"] = sum(counts[name] for name in OUTCOMES)
    return counts


def backfill_state(backfill: CrmBackfill, counts: dict[str, int]) -> str:
    """The state its jobs prove (nothing written): waiting_retry once every lead was tried and
    only retries remain, done once every job is finished; never backwards."""
    if backfill.state not in (BackfillState.RUNNING, BackfillState.WAITING_RETRY):
        return backfill.state
    if counts["waiting"]:
        return backfill.state
    return BackfillState.WAITING_RETRY if counts["retrying"] else BackfillState.DONE


def backfill_refresh(tenant, backfill: CrmBackfill) -> None:
    """Store the state its jobs reached (each step once: a conditional update); the finish is
    audited. For the work's side only (tasks, services), never for a reader."""
    if backfill.state not in (BackfillState.RUNNING, BackfillState.WAITING_RETRY):
        return
    counts = backfill_counts(tenant, backfill)
    state = backfill_state(backfill, counts)
    if state == backfill.state:
        return
    rows = CrmBackfill.objects.for_tenant(tenant).filter(pk=backfill.pk)
    if state == BackfillState.WAITING_RETRY:
        rows.filter(state=BackfillState.RUNNING).update(state=BackfillState.WAITING_RETRY)
        backfill.state = BackfillState.WAITING_RETRY
        return
    now, result = timezone.now(), {name: counts[name] for name in OUTCOMES}
    with transaction.atomic():
        if rows.filter(finished_at__isnull=True).update(
            state=BackfillState.DONE, finished_at=now, result=result
        ):
            audit_record(
                tenant=tenant,
                actor=None,
                action=AuditAction.TENANT_SETTINGS_CHANGED,
                target=("crm_connection", backfill.connection_id),
                after={"event": "backfill_finished", "backfill": backfill.pk, **result},
            )
    backfill.state, backfill.finished_at, backfill.result = BackfillState.DONE, now, result


def backfill_progress(tenant, backfill: CrmBackfill | None) -> dict | None:
    """What the page and the API show (a read: nothing is written): the state its jobs prove,
    N of M, the outcome counts, the leads waiting for a retry and when the next one is due,
    and the reasons of the failures (the jobs' own errors, as in the sync log)."""
    if backfill is None:
        return None
    counts = backfill_counts(tenant, backfill)  # live: a failed job retried later counts
    state = backfill_state(backfill, counts)
    jobs = CrmSyncJob.objects.for_tenant(tenant).filter(backfill=backfill)
    failures = jobs.filter(status=JobStatus.FAILED).select_related("link").order_by("pk")[:10]
    next_retry = None
    if counts["retrying"]:
        unfinished = jobs.exclude(status__in=FINISHED).exclude(last_error={})
        next_retry = unfinished.aggregate(at=Min("next_attempt_at"))["at"]
    return {
        "backfill": backfill,
        "state": state,
        "state_label": BackfillState(state).label,
        "total": backfill.total,
        "percent": round(100 * counts["done"] / backfill.total) if backfill.total else 100,
        "sending": state in BACKFILL_SENDING,
        "waiting_retry": state == BackfillState.WAITING_RETRY,
        "finished": state == BackfillState.DONE,
        "finished_at": _finished_at(backfill, state, jobs),
        "next_retry_at": next_retry,
        "failures": list(failures),
        **counts,
    }


def _finished_at(backfill: CrmBackfill, state: str, jobs: QuerySet):
    """When it finished: as stored, or (done but not stored yet) when its last job did."""
    if backfill.finished_at is not None or state != BackfillState.DONE:
        return backfill.finished_at
    return jobs.aggregate(at=Max("finished_at"))["at"]


def backfill_job_finished(tenant, job_id: int) -> None:
    """After a job ran: if it was a backfill's, that backfill may be finished now."""
    backfill_id = (
        CrmSyncJob.objects.for_tenant(tenant)
        .filter(pk=job_id, backfill__finished_at__isnull=True)
        .values_list("backfill_id", flat=True)
        .first()
    )
    if backfill_id:
        backfill_settle(tenant, backfill_id)


def backfill_settle(tenant, backfill_id: int) -> None:
    """Store the state the backfill's jobs reached (a task's step)."""
    backfill = CrmBackfill.objects.for_tenant(tenant).filter(pk=backfill_id).first()
    if backfill is not None:
        backfill_refresh(tenant, backfill)


def backfills_unsettled() -> list[tuple[str, int]]:
    """Backfills sending or waiting for retries (beat): their state is stored again from their
    jobs, for the jobs that ended with no task run to say so (a lead deleted with its job)."""
    rows = CrmBackfill.objects.unscoped().filter(
        state__in=(BackfillState.RUNNING, BackfillState.WAITING_RETRY)
    )
    return [(str(tenant_id), pk) for tenant_id, pk in rows.values_list("tenant_id", "pk")]


def backfills_stalled(now=None) -> list[tuple[str, int]]:
    """Backfills still choosing their leads long after they started (the task was lost with
    its broker message): (tenant id, backfill id) to prepare again (beat)."""
    now = now or timezone.now()
    rows = CrmBackfill.objects.unscoped().filter(
        state=BackfillState.PREPARING, created_at__lt=now - STALLED
    )
    return [(str(tenant_id), pk) for tenant_id, pk in rows.values_list("tenant_id", "pk")]
