"""Evaluation: every enabled rule triggered by an event gets exactly one decision.

Order of a decision: conditions → limits (once ever / once a day, at most N per window) →
quiet hours (deferral) → the action (sending.py). A delayed rule ("send 2 hours after") is
first stored as `scheduled` and evaluated when due (tasks.run_due_decisions_task), so
"not answered within 2 hours" sees the lead as it is then. Re-running an event decides
nothing twice (one decision per event and rule, a unique constraint).

Speed: a batch of events is evaluated against one `Snapshot`, read in a few queries (the
rules, the subjects' history of the event types the conditions look at, the "once" keys
taken, the sends inside the "N per window" windows); what the batch decides is added to it
as it goes, so each event is judged exactly as if the events before it had been stored one
by one. The batch's decisions are written in one bulk insert at its end; a decision that sends
has its message checked by the batch's outbox at once (a refusal frees the limit for the next
event), and the batch's messages (keyed by their decisions' ids) are stored after the
decisions in a few queries, in the same transaction.

Races: a "once" limit is a unique key (a concurrent winner makes the insert fail, the caller
evaluates again and records the suppression); an "N per window" limit is serialised per
company, rule and subject by a PostgreSQL advisory transaction lock taken before the window
is read, so two workers never both count the same free slot.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.messaging.outbox import OutboxBatch, Queued
from apps.messaging.rules import sending
from apps.messaging.rules.conditions import Context, evaluate, resolve
from apps.messaging.rules.models import SENDING, Decision, Event, Outcome, Rule, RuleVersion
from apps.messaging.rules.snapshot import DELAY, Snapshot, dedup_key_for, history_types

QUIET = "quiet_hours"


def rules_enabled(tenant) -> list[Rule]:
    """Enabled rules with their current version and template, by priority (one query)."""
    return list(
        Rule.objects.filter(tenant=tenant, enabled=True, current__isnull=False)
        .select_related("current", "current__template")
        .order_by("priority", "id")
    )


def rules_for(tenant, event_type: str) -> list[Rule]:
    """Enabled rules whose current version is triggered by `event_type`, by priority."""
    return [rule for rule in rules_enabled(tenant) if rule.current.trigger == event_type]


class Batch:
    """Decisions of one batch: those that send nothing wait for one bulk insert."""

    def __init__(self, snapshot: Snapshot, now: datetime, leads=()):
        self.snap = snapshot
        self.now = now
        self.pending: list[Decision] = []
        self.changed: dict[int, Decision] = {}  # id() → a stored decision acted on
        self.outbox = OutboxBatch(snapshot.tenant, leads=leads)
        self.queued: dict[int, tuple[Decision, Queued]] = {}  # id() → its message

    def flush(self) -> None:
        if self.pending:
            Decision.objects.bulk_create(self.pending)
            self.pending = []

    def later(self, decision: Decision, queued: Queued | None = None) -> None:
        """A decision acted on: one not stored yet has its outcome inserted with the batch
        and only its message id written after; a stored one is updated at the end."""
        if queued is not None:
            self.queued[id(decision)] = (decision, queued)
        if decision.pk is not None:
            self.changed[id(decision)] = decision

    def finish(self) -> None:
        """The pending decisions (their ids key the messages), the outbox's messages, then
        the decisions' message ids (and the stored decisions' outcomes), one update each."""
        self.flush()
        self.outbox.commit()
        fresh = []
        for key, (decision, queued) in self.queued.items():
            decision.message_id = queued.message.pk
            if key not in self.changed:
                fresh.append(decision)
        self.queued = {}
        if fresh:
            sending.message_ids_write(self.snap.tenant, fresh)
        if self.changed:
            Decision.objects.bulk_update(list(self.changed.values()), sending.LATER_FIELDS)
            self.changed = {}


def evaluate_events(
    events: list[Event], *, tenant, now: datetime | None = None, only: Rule | None = None
) -> dict[int, list[Decision]]:
    """Decide every rule for each newly stored event, in the order given (by occurred_at);
    `only`: the editor's test event runs just the rule under test (even switched off).
    Call inside the transaction that stored the events."""
    now = now or timezone.now()
    rules = [only] if only is not None else rules_enabled(tenant)
    batch = Batch(Snapshot.load(tenant, events, rules), now, [event.lead for event in events])
    decided: dict[int, list[Decision]] = {}
    for event in events:
        decisions = []
        for rule in batch.snap.rules_of(event):
            decision = Decision(
                tenant=tenant,
                event=event,
                rule=rule,
                version=rule.current,
                subject=event.subject,
                lead=event.lead,
                created_at=now,
            )
            decisions.append(_decide(decision, batch))
        batch.snap.seen(event)
        decided[event.pk] = decisions
    batch.finish()
    if only is None:
        _reconsider(tenant, events, rules, now)
    return decided


def _reconsider(tenant, events: list[Event], rules: list[Rule], now: datetime) -> None:
    """Events that arrived late: decisions of the subjects' other events that failed only
    because such an event was missing in their window are decided again (by the rule's
    current version, when it is still enabled)."""
    watched: set[str] = set()
    for rule in rules:
        watched |= history_types(rule.current)
    arrived: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for event in events:
        if event.event_type in watched:
            arrived[(event.subject, event.event_type)].append(event.occurred_at)
    if not arrived:
        return
    current = {rule.pk: rule.current_id for rule in rules}
    stale = (
        Decision.objects.filter(
            tenant=tenant,
            subject__in={subject for subject, _type in arrived},
            outcome=Outcome.NOT_MATCHED,
            details__kind="history",
            details__event__in={event_type for _subject, event_type in arrived},
            rule_id__in=current,
        )
        .select_related("event", "version", "rule", "lead")
        .order_by("event__occurred_at", "id")
    )
    for decision in stale:
        if decision.version_id != current[decision.rule_id]:
            continue
        details = decision.details
        stamps = arrived.get((decision.subject, details.get("event")), [])
        hours = timedelta(hours=details.get("within_hours") or 0)
        at = decision.event.occurred_at
        start, end = (at, at + hours) if details.get("after") else (at - hours, at)
        if any(start <= stamp <= end for stamp in stamps):
            decide(decision, now=now)


def decide(decision: Decision, *, now: datetime) -> Decision:
    """Evaluate one decision again (a delayed one came due, a late event arrived); saves it."""
    snap = Snapshot.for_decision(decision)
    for key, holder in list(snap.holders.items()):
        if holder.pk == decision.pk:
            del snap.holders[key]
    for entries in snap.window.values():
        entries[:] = [(at, d) for at, d in entries if d.pk != decision.pk]
    batch = Batch(snap, now, [decision.lead])
    result = _decide(decision, batch)
    batch.finish()
    return result


def _decide(decision: Decision, batch: Batch) -> Decision:
    """Evaluate, apply the limits and act (the decision is stored now or by `batch.flush`)."""
    now, snap = batch.now, batch.snap
    version: RuleVersion = decision.version
    if decision.pk is None and (version.delay_minutes or version.anchor):
        due = due_time(decision.event, version)
        if due is None:
            failure = {"path": "anchor", "kind": "compare", "field": version.anchor}
            failure.update(op="exists", expected=True, actual=None, missing=True)
            return _store(batch, decision, Outcome.NOT_MATCHED, "condition", details=failure)
        if due > now:
            return _store(batch, decision, Outcome.SCHEDULED, DELAY, due_at=due)
    ok, failure = evaluate(version.conditions, _context(decision.event, decision.lead, snap))
    if not ok:
        return _store(batch, decision, Outcome.NOT_MATCHED, "condition", details=failure)
    blocker = _window_blocker(decision, snap)
    if blocker is not None:
        details = {"max_count": version.max_count, "window_hours": version.window_hours}
        return _store(batch, decision, Outcome.SUPPRESSED, "limit_window", details, earlier=blocker)
    key = dedup_key(decision)
    holder = snap.holders.get(key) if key else None
    if holder is not None:
        return _suppressed_once(batch, decision, key, holder)
    decision.dedup_key = key
    quiet_until = quiet_end(version, decision.tenant.time_zone, now)
    if quiet_until is not None:
        return _store(batch, decision, Outcome.SCHEDULED, QUIET, due_at=quiet_until)
    _store(batch, decision, Outcome.QUEUED, "", due_at=None)
    sending.perform(
        decision, channel_for=snap.channel, team=snap.team, later=batch.later, outbox=batch.outbox
    )
    if decision.outcome not in SENDING:
        snap.released(decision)
    return decision


def run_due(decision: Decision, *, now: datetime) -> Decision:
    """A scheduled decision came due: a delayed one is evaluated now, a deferred one sends."""
    if decision.reason == DELAY:
        return decide(decision, now=now)
    with transaction.atomic():
        decision.outcome, decision.reason, decision.due_at = Outcome.QUEUED, "", None
        decision.decided_at = timezone.now()
        decision.save(update_fields=[*_FIELDS])
        sending.perform(decision)
    return decision


def due_time(event: Event, version: RuleVersion) -> datetime | None:
    """The event time (or the anchor property's time) plus the delay; None: no such time."""
    start = event.occurred_at
    if version.anchor:
        raw = resolve(version.anchor, _context(event, None, None))
        start = parse_datetime(raw) if isinstance(raw, str) else None
        if start is None or timezone.is_naive(start):
            return None
    return start + timedelta(minutes=version.delay_minutes)


def _store(batch, decision, outcome, reason, details=None, *, earlier=None, due_at=None):
    """Set the outcome; a new decision is inserted with the batch (before the batch's
    messages, which name it), one decided again is updated."""
    decision.outcome, decision.reason = outcome, reason
    decision.details = details or {}
    decision.earlier = earlier
    decision.due_at = due_at
    decision.decided_at = None if outcome == Outcome.SCHEDULED else timezone.now()
    if outcome not in SENDING:
        decision.dedup_key = None
    if decision.pk is not None:
        decision.save(update_fields=[*_FIELDS])
    elif earlier is not None and earlier.pk is None:
        batch.flush()  # the earlier decision it names gets its id first
        decision.save()
    else:
        batch.pending.append(decision)
    batch.snap.took(decision)
    return decision


_FIELDS = ("outcome", "reason", "details", "earlier", "due_at", "decided_at", "dedup_key")


def _suppressed_once(batch: Batch, decision: Decision, key: str, holder: Decision) -> Decision:
    """The "once" key is taken: suppressed, naming the decision that holds it."""
    limit = "limit_once_day" if decision.version.once_per == "day" else "limit_once"
    details = {"day": key.rsplit(":", 1)[-1]} if limit == "limit_once_day" else {}
    return _store(batch, decision, Outcome.SUPPRESSED, limit, details, earlier=holder)


def dedup_key(decision: Decision) -> str | None:
    return dedup_key_for(decision.event, decision.version, decision.rule_id, decision.tenant)


def _window_blocker(decision: Decision, snap: Snapshot) -> Decision | None:
    version = decision.version
    if not (version.max_count and version.window_hours):
        return None
    at = decision.event.occurred_at
    since = at - timedelta(hours=version.window_hours)
    inside = [
        (occurred, earlier)
        for occurred, earlier in snap.window.get((decision.rule_id, decision.subject), [])
        if since < occurred <= at and earlier is not decision
    ]
    if len(inside) < version.max_count:
        return None
    return max(inside, key=lambda entry: entry[0])[1]


def quiet_end(version: RuleVersion, zone_name: str, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (tenant's time zone), or None outside them."""
    start, end = version.quiet_start, version.quiet_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(zone_name))
    at = local.time()
    inside = (start <= at < end) if start < end else (at >= start or at < end)
    if not inside:
        return None
    day = local.date() if (start < end or at < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(now.tzinfo)


def _context(event: Event, lead, snap: Snapshot | None) -> Context:
    def history(event_type: str, start: datetime, end: datetime) -> bool:
        if snap is not None and event_type in snap.history_types:
            stamps = snap.history.get((event.subject, event_type), [])
            return any(start <= at <= end and pk != event.pk for at, pk in stamps)
        return (
            Event.objects.filter(
                tenant=event.tenant,
                subject=event.subject,
                event_type=event_type,
                occurred_at__gte=start,
                occurred_at__lte=end,
            )
            .exclude(pk=event.pk)
            .exists()
        )

    return Context(
        event_type=event.event_type,
        occurred_at=event.occurred_at,
        properties=event.properties or {},
        lead=lead,
        history=history,
    )


def dry_run(*, tenant, conditions, event_type: str, properties: dict, lead, occurred_at):
    """Would these conditions match this sample event? (True, None) or (False, failure);
    nothing is stored. History conditions look at the lead's real events."""
    subject = f"lead:{lead.pk}" if lead is not None else "sample"
    event = Event(
        tenant=tenant,
        event_type=event_type,
        subject=subject,
        lead=lead,
        occurred_at=occurred_at,
        properties=properties,
    )
    return evaluate(conditions, _context(event, lead, None))
