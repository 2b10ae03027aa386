"""The widget's intake queue: a submission is answered once it is validated and queued in
Redis, and a worker stores the queue in batches (`ingest_leads`, one call per tenant and
page), which costs a fraction of storing each submission in its own transaction.

    outcome = intake_enqueue(submission, received_key, ttl)   # QUEUED[_WAKE] / DUPLICATE
    widget_intake_wake()              # (apps/leads/tasks.py) on QUEUED_WAKE: queue a drain
    intake_drain()                    # the worker: store what is queued (one drainer at once)
    intake_replay_failed()            # staff: queue the dead-letter list again
    visitor_lead_settled(tenant_id, submission_id)   # booking: the lead, once it is stored

What the visitor's answer still promises:
- The submission is valid: it passed the same validation as `ingest_leads` before queueing.
- A hard lead limit is kept exactly: the view reserves the lead on the plan's meter before
  queueing (`hold`), the worker stores held items without counting them again and gives back
  the holds of items that merged. Plans without a hard limit are counted by the worker.
- A retry of the same press of "Send" is queued once: the received mark is set in the same
  Redis script as the push (SET NX).
- The booking step finds the lead: `visitor_lead_settled` drains the queue itself (or waits
  for the worker that is draining it) when the submission is still queued.

Items stay in the list until their batch is committed (LRANGE, store, LTRIM): a worker that
dies mid-batch leaves them for the next drain (at least once; a lead then merges, its action
may be recorded twice). Redis unreachable: `IntakeUnavailable`, and the view stores the
submission itself as before. A batch that cannot be stored for a reason other than the
database being down goes to a dead-letter list (`FAILED`) and is logged.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from datetime import date, datetime
from enum import StrEnum

import structlog
from django.conf import settings
from django.core.cache import cache, caches
from django.db import DatabaseError, InterfaceError, OperationalError
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from apps.billing.models import LimitMode
from apps.billing.quotas import (
    lead_quota_release,
    lead_quota_reservation,
    lead_quota_settle,
)
from apps.core.events import log_event
from apps.core.prepared import one_statement_committed
from apps.core.redis_outage import REDIS
from apps.core.tenant_flags import tenant_flags_prefetched
from apps.features.selectors import entitlements_get
from apps.leads.ingestion import ingest_leads
from apps.leads.ingestion.service import CREATED
from apps.leads.widget_hooks import visitor_lead_id, visitor_lead_remember
from apps.tenants.models import Tenant

logger = structlog.get_logger(__name__)

QUEUE = "widget:intake"
WAKE = "widget:intake:wake"  # a drain is queued (or running): later pushes need not wake one
LOCK = "widget:intake:lock"  # the one drainer
FAILED = "widget:intake:failed"  # batches that could not be stored (kept for staff to replay)
BATCH = 200
MAX_BATCHES = 100  # per drain: 20,000 submissions, a minute or two at most
LOCK_SECONDS = 120
WAKE_SECONDS = 60  # a wake lost on the way (broker down) is retried by the next push after
FAILED_KEEP_SECONDS = 14 * 24 * 3600
SETTLE_WAIT_SECONDS = 10.0


class IntakeUnavailable(Exception):
    """Redis could not take the submission: the caller stores it directly."""


class Enqueued(StrEnum):
    QUEUED = "queued"
    QUEUED_WAKE = "queued_wake"  # queued, and no drain is queued: the caller must wake one
    DUPLICATE = "duplicate"  # this press of "Send" was received before


# KEYS: received mark (or "-"), queue, wake. ARGV: payload, received ttl (0: no mark), wake ttl.
# -1: a duplicate (nothing pushed); 1: pushed and this push must wake a drain; 0: pushed.
_ENQUEUE_LUA = """
if ARGV[2] ~= '0' then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return -1 end
end
redis.call('RPUSH', KEYS[2], ARGV[1])
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""
# Delete the lock only if it is still ours.
_UNLOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_scripts: dict[int, tuple] = {}
_scripts_lock = threading.Lock()


def intake_available() -> bool:
    """The queue is on (LEADS_WIDGET_QUEUE) and the cache is Redis (the embedded default's file
    cache is not shared as a queue: the view stores each submission itself there)."""
    queue_on = getattr(settings, "LEADS_WIDGET_QUEUE", True)
    return queue_on and isinstance(caches["default"], RedisCache)


def _redis():
    try:
        client = cache.client.get_client(write=True)
    except (ConnectionInterrupted, RedisError) as error:
        REDIS.failed(error)
        raise IntakeUnavailable(str(error)) from error
    with _scripts_lock:
        scripts = _scripts.get(id(client))
        if scripts is None:
            scripts = _scripts[id(client)] = (
                client.register_script(_ENQUEUE_LUA),
                client.register_script(_UNLOCK_LUA),
            )
    return client, scripts


def _key(name: str) -> str:
    return cache.make_key(name)


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


@dataclasses.dataclass(frozen=True)
class Submission:
    """What the worker needs to store one queued submission."""

    tenant_id: str
    item: dict  # an ingestion item (validated)
    source: str
    consent_source: str
    submission_id: str | None = None
    held_period: str | None = None  # the period whose meter holds this lead (hard limits)

    def dumps(self) -> str:
        # Not dataclasses.asdict: it deep-copies the item first (most of the cost of a push).
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return json.dumps(fields, default=_json_default, ensure_ascii=False)

    @classmethod
    def loads(cls, raw: bytes | str) -> Submission:
        return cls(**json.loads(raw))


def intake_enqueue(submission: Submission, received_key: str | None, received_seconds: int):
    """Queue one submission (and mark it received) in one round trip; wake a drain if none is
    queued. Raises IntakeUnavailable when Redis cannot take it."""
    _client, (enqueue, _unlock) = _redis()
    keys = [_key(received_key) if received_key else "-", _key(QUEUE), _key(WAKE)]
    args = [submission.dumps(), received_seconds if received_key else 0, WAKE_SECONDS]
    try:
        pushed = int(enqueue(keys=keys, args=args))
    except RedisError as error:
        REDIS.failed(error)
        raise IntakeUnavailable(str(error)) from error
    if pushed < 0:
        return Enqueued.DUPLICATE
    return Enqueued.QUEUED_WAKE if pushed == 1 else Enqueued.QUEUED


def intake_queued() -> int:
    """How many submissions wait in the queue (0 when Redis cannot be asked)."""
    try:
        client, _scripts_pair = _redis()
        return int(client.llen(_key(QUEUE)))
    except (IntakeUnavailable, RedisError):
        return 0


# --- the worker -----------------------------------------------------------------------------


BUSY = -1


def intake_drain(max_batches: int | None = None) -> int:
    """Store what is queued, batch by batch (at most `max_batches`: a task stays well inside
    its time limit under a steady stream; the caller asks again while anything is queued):
    the number stored, or BUSY when another drainer holds the lock."""
    client, (_enqueue, unlock) = _redis()
    token = uuid.uuid4().hex
    if not client.set(_key(LOCK), token, nx=True, ex=LOCK_SECONDS):
        return BUSY
    stored = 0
    try:
        for _batch in range(max_batches or MAX_BATCHES):
            raw = client.lrange(_key(QUEUE), 0, BATCH - 1)
            if not raw:
                # A push after this DEL sets the wake again and queues a drain, which finds
                # this lock (then retries) or finds the queue empty.
                client.delete(_key(WAKE))
                if not client.llen(_key(QUEUE)):
                    break
                continue
            stored += _store_batch(client, raw)
            client.ltrim(_key(QUEUE), len(raw), -1)
            client.expire(_key(LOCK), LOCK_SECONDS)
    finally:
        unlock(keys=[_key(LOCK)], args=[token])
    return stored


def _store_batch(client, raw: list[bytes]) -> int:
    """Store one batch: one ingestion per (tenant, page, source, held or not)."""
    groups: dict[tuple, list[Submission]] = {}
    for entry in raw:
        try:
            submission = Submission.loads(entry)
        except (ValueError, TypeError):
            _dead_letter(client, [entry], "unreadable")
            continue
        key = (
            submission.tenant_id,
            submission.source,
            submission.consent_source,
            submission.held_period,
        )
        groups.setdefault(key, []).append(submission)
    tenants = Tenant.objects.in_bulk({key[0] for key in groups})
    stored = 0
    for (tenant_id, source, consent_source, held), group in groups.items():
        tenant = tenants.get(uuid.UUID(tenant_id))
        if tenant is None:  # the company was deleted while its submissions were queued
            log_event("widget_intake_dropped", tenant_id=tenant_id, count=len(group))
            continue
        try:
            stored += _store_group(tenant, source, consent_source, held, group)
        except (OperationalError, InterfaceError):
            raise  # the database is down: leave the batch queued, the task retries
        except DatabaseError:
            logger.exception("widget_intake_group_failed", tenant_id=tenant_id)
            _dead_letter(client, [s.dumps() for s in group], "database_error")
    return stored


def _store_group(tenant, source: str, consent_source: str, held, group) -> int:
    entitlements = entitlements_get(tenant)
    with tenant_flags_prefetched(tenant.pk):  # one read for every subscriber of the events
        outcome = ingest_leads(
            tenant=tenant,
            items=[submission.item for submission in group],
            source=source,
            consent_source=consent_source,
            durable=getattr(settings, "LEADS_WIDGET_DURABLE_COMMIT", False),
            entitlements=entitlements,
            count_quota=held is None,  # held items were counted when they were received
        )
    created = 0
    refused = 0
    for submission, result in zip(group, outcome.results, strict=True):
        if result.status == CREATED:
            created += 1
        if result.lead_id and submission.submission_id:
            visitor_lead_remember(tenant.pk, submission.submission_id, result.lead_id)
        elif not result.lead_id:
            refused += 1
    if held is not None and len(group) > created:  # merged (or refused): give the holds back
        period = datetime.fromisoformat(held)
        limits = dataclasses.replace(entitlements, period_start=period)
        lead_quota_release(tenant, len(group) - created, entitlements=limits)
    if refused:  # e.g. the plan changed to a hard limit while these were queued
        log_event("widget_intake_refused", tenant_id=str(tenant.pk), count=refused)
    return len(group) - refused


def _dead_letter(client, entries: list, reason: str) -> None:
    logger.error("widget_intake_dead_letter", count=len(entries), reason=reason)
    key = _key(FAILED)
    client.rpush(key, *entries)
    client.expire(key, FAILED_KEEP_SECONDS)


def intake_replay_failed() -> int:
    """Queue the dead-letter list again once its cause is fixed (`manage.py
    widget_intake_replay`): the number of submissions queued. Atomic: LMOVE one by one."""
    client, _pair = _redis()
    moved = 0
    while client.lmove(_key(FAILED), _key(QUEUE), "LEFT", "RIGHT") is not None:
        moved += 1
    return moved


# --- the booking step -----------------------------------------------------------------------


def received_key(tenant_id: str, submission_id) -> str:
    """The mark of a press of "Send" that was received (queued or stored)."""
    return f"widget:received:{tenant_id}:{submission_id}"


def visitor_lead_settled(tenant_id: str, submission_id) -> int | None:
    """The lead a submission became. If it was received but is still queued, store the queue
    batch by batch (or wait for the drainer that is storing it) until it is there, at most
    SETTLE_WAIT_SECONDS."""
    lead_id = visitor_lead_id(tenant_id, submission_id)
    if lead_id is not None or not intake_available():
        return lead_id
    try:
        submission_id = uuid.UUID(str(submission_id))
    except ValueError:
        return None
    if not cache.get(received_key(tenant_id, submission_id)):
        return None  # never received (or forgotten): nothing to wait for
    deadline = time.monotonic() + SETTLE_WAIT_SECONDS
    try:
        while (intake_queued() or _draining()) and time.monotonic() < deadline:
            if intake_drain(max_batches=1) == BUSY:
                time.sleep(0.05)  # another process is storing the queue: let it
            lead_id = visitor_lead_id(tenant_id, submission_id)
            if lead_id is not None:
                return lead_id
    except IntakeUnavailable:
        return None
    return visitor_lead_id(tenant_id, submission_id)


def _draining() -> bool:
    try:
        client, _pair = _redis()
        return bool(client.exists(_key(LOCK)))
    except (IntakeUnavailable, RedisError):
        return False


# --- the view's side ------------------------------------------------------------------------


def intake_hold(tenant, entitlements) -> tuple[str | None, bool]:
    """Reserve the lead on a hard-limited plan's meter before queueing it: (the period it is
    held in, or None when the plan has no hard limit; whether the plan has room)."""
    if entitlements.lead_limit is None or entitlements.limit_mode != LimitMode.HARD:
        return None, True
    # One round trip, committed without waiting for the WAL flush (as the widget's leads are).
    pending = lead_quota_reservation(tenant, 1, entitlements=entitlements)
    row = one_statement_committed(pending.sql, pending.params, durable=False)
    decision = lead_quota_settle(pending, row, needed=1)
    return entitlements.period_start.isoformat(), decision.ok


def intake_unhold(tenant, entitlements, held: str | None) -> None:
    """Give back a hold whose submission was not queued (a duplicate, Redis down)."""
    if held is not None:
        lead_quota_release(tenant, 1, entitlements=entitlements)
