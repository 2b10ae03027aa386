"""The widget's intake queue: a submission is answered once it is validated and queued, and a
worker stores the queue in batches (`ingest_leads`, one call per tenant and page), which costs
a fraction of storing each submission in a transaction of its own.

    outcome = intake_enqueue(tenant, entitlements, submission)   # QUEUED / DUPLICATE / FULL
    intake_wake_due()                # the view: whether to wake a drain (apps/leads/tasks.py)
    intake_drain()                   # the worker: store a batch of what is queued
    visitor_lead_settled(tenant_id, submission_id)   # booking: the lead, once it is stored

The queue is a table (`WidgetIntake`), not Redis: Redis is never the system of record, and a
row is marked stored in the very transaction that stores its lead (exactly once; drains run
side by side with SKIP LOCKED). One statement queues a submission, committed without waiting
for the WAL flush, as the widget's leads always were:
- a plan with a hard lead limit holds the lead on the usage meter in the same statement
  (billing's reservation, apps/billing/quotas.py): a full plan refuses at the answer, and
  the drain stores held rows without counting them again, giving back the holds of rows
  that merged into an existing lead. Other plans are counted by the drain (never refused).
- a retried press of "Send" (same submission id) is queued once (a unique index).
What the answer promised still holds: the submission is valid (the same validation as
`ingest_leads`), and the booking step finds the lead (`visitor_lead_settled` stores the queue
itself, or waits for the drain storing it). The stored row keeps no personal data: its
payload is emptied as it is stored, and the mark is purged a day later.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum

import structlog
from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.billing.models import LimitMode
from apps.billing.quotas import lead_quota_release, lead_quota_reservation, lead_quota_settle
from apps.billing.services.usage import meter_ensure
from apps.core.events import log_event
from apps.core.prepared import COMMIT_MODE, one_statement_committed
from apps.core.redis_outage import REDIS
from apps.core.tenant_flags import tenant_flags_prefetched
from apps.features.selectors import entitlements_get
from apps.leads.ingestion import ingest_leads
from apps.leads.ingestion.service import CREATED
from apps.leads.models import WidgetIntake
from apps.leads.widget_hooks import visitor_lead_id
from apps.tenants.models import Tenant

logger = structlog.get_logger(__name__)

BATCH = 200
MAX_BATCHES = 100  # per drain task: 20,000 submissions, then the next wake or tail goes on
# A drain that took something looks again TAIL_SECONDS later, one such look pending at a
# time: while submissions keep coming, a drain runs every TAIL_SECONDS and stores what came
# in between (batches, not a task per lead: the batches are what makes the queue cheaper than
# storing each submission). A web process wakes a drain only when none is pending, at most
# every WAKE_EVERY_SECONDS. A lead is stored within about TAIL_SECONDS.
WAKE_EVERY_SECONDS = 1.0
TAIL_SECONDS = 0.5
TAIL_MARK = "widget:intake:tail"
KEEP_MARKS = timedelta(days=1)  # a retried press is told apart for a day
KEEP_FAILED = timedelta(days=14)
SETTLE_WAIT_SECONDS = 10.0


class Enqueued(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"  # this press of "Send" was received before
    FULL = "full"  # the plan's hard lead limit is reached


def intake_available() -> bool:
    """The queue is on (LEADS_WIDGET_QUEUE) on PostgreSQL, where many web processes and the
    workers write side by side; on SQLite (the embedded default: one writer) the view stores
    each submission itself."""
    return getattr(settings, "LEADS_WIDGET_QUEUE", True) and connection.vendor == "postgresql"


@dataclasses.dataclass(frozen=True)
class Submission:
    """What a drain needs to store one queued submission."""

    item: dict  # an ingestion item (validated)
    source: str
    consent_source: str
    submission_id: uuid.UUID | None = None


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _payload(submission: Submission) -> str:
    body = {
        "item": submission.item,
        "source": submission.source,
        "consent_source": submission.consent_source,
    }
    return json.dumps(body, default=_json_default, ensure_ascii=False)


_INSERT = (
    "INSERT INTO {table} (tenant_id, submission_id, payload, held_period, received_at, error) "
    "SELECT %s::uuid, %s::uuid, %s::jsonb, {held}, now(), '' {source} "
    "ON CONFLICT (tenant_id, submission_id) WHERE submission_id IS NOT NULL DO NOTHING "
    "RETURNING id"
)


def intake_enqueue(tenant, entitlements, submission: Submission) -> Enqueued:
    """Queue one submission in one statement (with its hold, on a hard-limited plan)."""
    table = WidgetIntake._meta.db_table
    values = [tenant.pk, submission.submission_id, _payload(submission)]
    if entitlements.lead_limit is None or entitlements.limit_mode != LimitMode.HARD:
        insert = _INSERT.format(table=table, held="NULL::timestamptz", source="")
        sql = (
            f"WITH {COMMIT_MODE}, queued AS ({insert}) "  # noqa: S608
            "SELECT id FROM queued, commit_mode"
        )
        row = one_statement_committed(sql, values, durable=False)
        return Enqueued.QUEUED if row else Enqueued.DUPLICATE
    pending = lead_quota_reservation(tenant, 1, entitlements=entitlements)
    insert = _INSERT.format(
        table=table, held="%s::timestamptz", source="FROM hold WHERE hold.granted > 0"
    )  # the row only if the meter granted the lead
    sql = (
        f"WITH {COMMIT_MODE}, hold (used, granted) AS ({pending.sql}), "  # noqa: S608
        f"queued AS ({insert}) "
        "SELECT hold.used, hold.granted, (SELECT id FROM queued) FROM hold, commit_mode"
    )
    params = [*pending.params, *values, entitlements.period_start]
    row = one_statement_committed(sql, params, durable=False)
    if row is None:  # the period's meter did not exist yet (its first lead): open it, retry
        meter_ensure(entitlements.tenant_id, entitlements)
        return intake_enqueue(tenant, entitlements, submission)
    decision = lead_quota_settle(pending, row[:2], needed=1)
    if not decision.ok:
        return Enqueued.FULL
    if row[2] is None:  # held, but the press was queued before: give the hold back
        lead_quota_release(tenant, 1, entitlements=entitlements)
        return Enqueued.DUPLICATE
    return Enqueued.QUEUED


_woken_at = [0.0]
_clock = time.monotonic  # (tests stop it)


def intake_wake_due() -> bool:
    """Whether this process should wake a drain now: not while one is pending (the tail of
    the last drain takes these rows too), and at most every WAKE_EVERY_SECONDS."""
    if current_app.conf.task_always_eager:
        return True
    now = _clock()
    if now - _woken_at[0] < WAKE_EVERY_SECONDS:
        return False
    _woken_at[0] = now
    return cache.get(TAIL_MARK) is None


def intake_tail_due() -> bool:
    """Whether a drain that took something should queue the next look (no other is
    pending): the mark lives until that look is due. Not while Redis is down (the cache
    would say "added" to every drain): the web's wakes and the beat go on."""
    added = cache.add(TAIL_MARK, 1, TAIL_SECONDS)
    return added and not REDIS.down


def intake_queued() -> int:
    return WidgetIntake.objects.unscoped().filter(stored_at=None, failed_at=None).count()


# --- the worker -----------------------------------------------------------------------------


def intake_drain(limit: int = BATCH) -> int:
    """Store one batch of the queue, oldest first, in one transaction: the rows are marked
    stored (payload emptied) with their leads. Rows another drain holds are skipped. Returns
    how many queued rows it took: stored, or set aside as failed."""
    with transaction.atomic():
        rows = list(
            WidgetIntake.objects.unscoped()
            .filter(stored_at=None, failed_at=None)
            .order_by("id")
            .select_for_update(skip_locked=True)[:limit]
        )
        if not rows:
            return 0
        groups: dict[tuple, list[WidgetIntake]] = {}
        for row in rows:
            key = (
                row.tenant_id,
                row.payload.get("source", ""),
                row.payload.get("consent_source", ""),
                row.held_period,
            )
            groups.setdefault(key, []).append(row)
        tenants = Tenant.objects.in_bulk({key[0] for key in groups})
        for (tenant_id, source, consent_source, held), group in groups.items():
            _store_group(tenants[tenant_id], source, consent_source, held, group)
    return len(rows)


def _store_group(tenant, source: str, consent_source: str, held, group) -> None:
    """One ingestion; any failure but the database being down marks these rows failed (kept
    for `manage.py widget_intake_replay`) and lets the rest of the batch through."""
    try:
        with transaction.atomic():
            outcome = _ingest(tenant, source, consent_source, held, group)
    except (OperationalError, InterfaceError):
        raise  # the database is down: the whole batch stays queued
    except Exception as error:  # never a row that blocks the queue on every drain
        logger.exception("widget_intake_failed", tenant_id=str(tenant.pk), count=len(group))
        ids = [row.pk for row in group]
        WidgetIntake.objects.unscoped().filter(pk__in=ids).update(
            failed_at=timezone.now(), error=str(error)[:200]
        )
        return
    created, refused = 0, []
    for row, result in zip(group, outcome.results, strict=True):
        created += result.status == CREATED
        row.lead_id = result.lead_id
        if not result.lead_id:
            refused.append((row.pk, _first_error(result.errors)))
    stored = [row for row in group if row.lead_id]
    _mark_stored(stored)
    if held is not None and len(group) > created:  # merged (or refused): give the holds back
        limits = dataclasses.replace(entitlements_get(tenant), period_start=held)
        lead_quota_release(tenant, len(group) - created, entitlements=limits)
    if refused:  # e.g. the plan changed to a hard limit while these waited: kept to replay
        now = timezone.now()
        for pk, error in refused:
            WidgetIntake.objects.unscoped().filter(pk=pk).update(failed_at=now, error=error)
        log_event("widget_intake_refused", tenant_id=str(tenant.pk), count=len(refused))


def _first_error(errors) -> str:
    for messages in (errors or {}).values():
        return str(messages[0])[:200]
    return "refused"


def _mark_stored(group) -> None:
    """Stored: the lead each row became, its payload emptied (one statement; Django's
    bulk_update writes a CASE per row and field, which took longer than the ingestion)."""
    table = WidgetIntake._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS w SET stored_at = now(), payload = '{{}}'::jsonb, "  # noqa: S608
            "lead_id = v.lead_id FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, lead_id) "
            "WHERE w.id = v.id",
            [[row.pk for row in group], [row.lead_id for row in group]],
        )


def _ingest(tenant, source, consent_source, held, group):
    with tenant_flags_prefetched(tenant.pk):  # one read for every subscriber of the events
        return ingest_leads(
            tenant=tenant,
            items=[row.payload["item"] for row in group],
            source=source,
            consent_source=consent_source,
            durable=getattr(settings, "LEADS_WIDGET_DURABLE_COMMIT", False),
            entitlements=entitlements_get(tenant),
            count_quota=held is None,  # held rows were counted when they were received
        )


def intake_purge() -> int:
    """Delete the marks of stored submissions after a day and failed ones after two weeks."""
    now = timezone.now()
    stale = Q(stored_at__lt=now - KEEP_MARKS) | Q(failed_at__lt=now - KEEP_FAILED)
    deleted, _by_model = WidgetIntake.objects.unscoped().filter(stale).delete()
    return deleted


def intake_replay_failed(rows=None) -> int:
    """Queue the failed rows (of `rows`, else all) again once the cause is fixed: how many."""
    rows = WidgetIntake.objects.unscoped().all() if rows is None else rows
    return rows.filter(stored_at=None).exclude(failed_at=None).update(failed_at=None, error="")


# --- the booking step -----------------------------------------------------------------------


def visitor_lead_settled(tenant_id: str, submission_id) -> int | None:
    """The lead a submission became. If it is still queued, store the queue batch by batch (or
    wait for the drain that holds it) until it is there, at most SETTLE_WAIT_SECONDS."""
    lead_id = visitor_lead_id(tenant_id, submission_id)
    if lead_id is not None:
        return lead_id
    try:
        submission_id = uuid.UUID(str(submission_id))
    except ValueError:
        return None
    mine = WidgetIntake.objects.unscoped().filter(tenant_id=tenant_id, submission_id=submission_id)
    deadline = time.monotonic() + SETTLE_WAIT_SECONDS
    while True:
        row = mine.values_list("stored_at", "failed_at", "lead_id").first()
        if row is None or row[1] is not None:
            return None  # never queued here (stored directly, or forgotten), or failed
        if row[0] is not None:
            return row[2]
        if time.monotonic() >= deadline:
            return None
        if not intake_drain():
            time.sleep(0.05)  # the rows left are held by another drain: let it commit
