"""Evaluation: every enabled rule triggered by an event gets exactly one decision.

Order of a decision: conditions → limits (once ever / once a day, at most N per window) →
quiet hours (deferral) → the action (sending.py). A delayed rule ("send 2 hours after") is
first stored as `scheduled` and evaluated when due (tasks.run_due_decisions_task), so
"not answered within 2 hours" sees the lead as it is then. Re-running an event decides
nothing twice (one decision per event and rule, a unique constraint).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.messaging.rules import sending
from apps.messaging.rules.conditions import Context, evaluate, resolve
from apps.messaging.rules.models import SENDING, Decision, Event, Outcome, Rule, RuleVersion

DELAY, QUIET = "delay", "quiet_hours"


def rules_for(tenant, event_type: str) -> list[Rule]:
    """Enabled rules whose current version is triggered by `event_type`, by priority."""
    return list(
        Rule.objects.filter(tenant=tenant, enabled=True, current__trigger=event_type)
        .select_related("current", "current__template")
        .order_by("priority", "id")
    )


def evaluate_event(
    event: Event, *, now: datetime | None = None, only: Rule | None = None
) -> list[Decision]:
    """Decide every rule for `event` (idempotent: rules already decided are skipped).
    `only`: the editor's test event runs just the rule under test (even switched off)."""
    now = now or timezone.now()
    rules = [only] if only is not None else rules_for(event.tenant, event.event_type)
    done = set(Decision.objects.filter(event=event).values_list("rule_id", flat=True))
    decisions = []
    for rule in rules:
        if rule.pk in done:
            continue
        decision = Decision(
            tenant=event.tenant,
            event=event,
            rule=rule,
            version=rule.current,
            subject=event.subject,
            lead=event.lead,
            created_at=now,
        )
        decisions.append(decide(decision, now=now))
    return [d for d in decisions if d is not None]


def decide(decision: Decision, *, now: datetime) -> Decision | None:
    """Evaluate, apply the limits and act; saves the decision (None: another worker did)."""
    version: RuleVersion = decision.version
    if decision.pk is None and (version.delay_minutes or version.anchor):
        due = due_time(decision.event, version)
        if due is None:
            failure = {"path": "anchor", "kind": "compare", "field": version.anchor}
            failure.update(op="exists", expected=True, actual=None, missing=True)
            return _store(decision, Outcome.NOT_MATCHED, "condition", details=failure)
        if due > now:
            return _store(decision, Outcome.SCHEDULED, DELAY, due_at=due)
    ok, failure = evaluate(version.conditions, _context(decision.event, decision.lead))
    if not ok:
        return _store(decision, Outcome.NOT_MATCHED, "condition", details=failure)
    blocker = _window_blocker(decision)
    if blocker is not None:
        details = {"max_count": version.max_count, "window_hours": version.window_hours}
        return _store(decision, Outcome.SUPPRESSED, "limit_window", details, earlier=blocker)
    decision.dedup_key = dedup_key(decision)
    quiet_until = quiet_end(version, decision.tenant.time_zone, now)
    was_new = decision.pk is None
    try:
        with transaction.atomic():
            if quiet_until is not None:
                return _store(decision, Outcome.SCHEDULED, QUIET, due_at=quiet_until)
            _store(decision, Outcome.QUEUED, "", due_at=None)
            sending.perform(decision)
            return decision
    except IntegrityError:
        if was_new:
            decision.pk, decision._state.adding = None, True
        return _lost_once(decision)


def run_due(decision: Decision, *, now: datetime) -> Decision | None:
    """A scheduled decision came due: a delayed one is evaluated now, a deferred one sends."""
    if decision.reason == DELAY:
        return decide(decision, now=now)
    with transaction.atomic():
        _store(decision, Outcome.QUEUED, "", due_at=None)
        sending.perform(decision)
    return decision


def due_time(event: Event, version: RuleVersion) -> datetime | None:
    """The event time (or the anchor property's time) plus the delay; None: no such time."""
    start = event.occurred_at
    if version.anchor:
        raw = resolve(version.anchor, _context(event, None))
        start = parse_datetime(raw) if isinstance(raw, str) else None
        if start is None or timezone.is_naive(start):
            return None
    return start + timedelta(minutes=version.delay_minutes)


def _store(decision, outcome, reason, details=None, *, earlier=None, due_at=None):
    decision.outcome, decision.reason = outcome, reason
    decision.details = details or {}
    decision.earlier = earlier
    decision.due_at = due_at
    decision.decided_at = None if outcome == Outcome.SCHEDULED else timezone.now()
    if outcome not in SENDING:
        decision.dedup_key = None
    if decision.pk is None:
        decision.save()
    else:
        decision.save(update_fields=[*_FIELDS])
    return decision


_FIELDS = ("outcome", "reason", "details", "earlier", "due_at", "decided_at", "dedup_key")


def _lost_once(decision: Decision) -> Decision | None:
    """The dedup key was taken: suppressed, naming the decision that holds it."""
    holder = Decision.objects.filter(tenant=decision.tenant, dedup_key=decision.dedup_key).first()
    limit = "limit_once_day" if decision.version.once_per == "day" else "limit_once"
    if (
        decision.pk is None
        and Decision.objects.filter(event=decision.event, rule=decision.rule).exists()
    ):
        return None  # the same (event, rule) was decided by another worker
    details = {"day": decision.dedup_key.rsplit(":", 1)[-1]} if limit == "limit_once_day" else {}
    return _store(decision, Outcome.SUPPRESSED, limit, details, earlier=holder)


def dedup_key(decision: Decision) -> str | None:
    once = decision.version.once_per
    if not once:
        return None
    base = f"{decision.rule_id}:{decision.subject}"
    if once == "day":
        zone = ZoneInfo(decision.tenant.time_zone)
        return f"{base}:{decision.event.occurred_at.astimezone(zone).date().isoformat()}"
    return base


def _window_blocker(decision: Decision) -> Decision | None:
    version = decision.version
    if not (version.max_count and version.window_hours):
        return None
    since = decision.event.occurred_at - timedelta(hours=version.window_hours)
    earlier = (
        Decision.objects.filter(
            tenant=decision.tenant,
            rule=decision.rule,
            subject=decision.subject,
            outcome__in=SENDING,
            event__occurred_at__gt=since,
            event__occurred_at__lte=decision.event.occurred_at,
        )
        .exclude(pk=decision.pk)
        .exclude(outcome=Outcome.SCHEDULED, reason=DELAY)
        .order_by("-event__occurred_at")
    )
    found = list(earlier[: version.max_count])
    return found[0] if len(found) >= version.max_count else None


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


def _context(event: Event, lead) -> Context:
    def history(event_type: str, start: datetime, end: datetime) -> bool:
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
    return evaluate(conditions, _context(event, lead))
