"""What evaluating a batch of events reads, loaded up front in a few queries (engine.py):
the subjects' history of the event types the conditions look at, the "once" keys taken and
the sends inside the "N per window" windows (after the advisory locks that serialise them)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from apps.messaging.rules import sending
from apps.messaging.rules.conditions import history_event_types
from apps.messaging.rules.models import SENDING, Decision, Event, Outcome, Rule, RuleVersion

DELAY = "delay"


def history_types(version: RuleVersion) -> frozenset[str]:
    """The event types a version's conditions look back (or ahead) at."""
    return frozenset(history_event_types(version.conditions))


def _max_hours(conditions) -> int:
    """The widest "within N hours" of the conditions."""
    if not isinstance(conditions, dict):
        return 0
    if "event" in conditions:
        return int(conditions.get("within_hours") or 0)
    children = conditions.get("all") or conditions.get("any") or []
    return max((_max_hours(child) for child in children), default=0)


class Snapshot:
    """What evaluating a batch of events (of one company) reads, loaded up front."""

    def __init__(self, tenant, rules: list[Rule]):
        self.tenant = tenant
        self.rules = rules
        self.by_trigger: dict[str, list[Rule]] = defaultdict(list)
        for rule in rules:
            self.by_trigger[rule.current.trigger].append(rule)
        # (subject, event type) → (occurred_at, id) of stored events (and of the batch so far)
        self.history: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        self.history_types: set[str] = set()
        # "once" key → the decision holding it
        self.holders: dict[str, Decision] = {}
        # (rule id, subject) → [(occurred_at, decision)] of decisions that send (windows)
        self.window: dict[tuple[int, str], list[tuple[datetime, Decision]]] = defaultdict(list)
        self.channels: dict[str, object] = {}
        self.team_addresses: list[str] | None = None

    @classmethod
    def load(cls, tenant, events: list[Event], rules: list[Rule]) -> Snapshot:
        """For events just stored and not yet evaluated: they join the history one by one
        (`seen`), as if each had been stored after the previous one was decided."""
        snap = cls(tenant, rules)
        pairs = [(event, rule, rule.current) for event in events for rule in snap.rules_of(event)]
        snap._load(pairs, fresh={event.pk for event in events})
        return snap

    @classmethod
    def for_decision(cls, decision: Decision) -> Snapshot:
        snap = cls(decision.tenant, [])
        snap._load([(decision.event, decision.rule, decision.version)], fresh=set())
        return snap

    def rules_of(self, event: Event) -> list[Rule]:
        return self.by_trigger.get(event.event_type, [])

    def _load(self, pairs, fresh: set[int]) -> None:
        self._load_history(pairs, fresh)
        self._load_holders(pairs)
        self._load_window(pairs)

    def _load_history(self, pairs, fresh: set[int]) -> None:
        types: set[str] = set()
        hours = 0
        for _event, _rule, version in pairs:
            types |= history_types(version)
            hours = max(hours, _max_hours(version.conditions))
        self.history_types = types
        if not types:
            return
        span = timedelta(hours=hours)
        stamps = [event.occurred_at for event, _rule, _version in pairs]
        rows = (
            Event.objects.filter(
                tenant=self.tenant,
                subject__in={event.subject for event, _rule, _version in pairs},
                event_type__in=types,
                occurred_at__gte=min(stamps) - span,
                occurred_at__lte=max(stamps) + span,
            )
            .exclude(pk__in=fresh)
            .values_list("subject", "event_type", "occurred_at", "pk")
        )
        for subject, event_type, occurred_at, pk in rows:
            self.history[(subject, event_type)].append((occurred_at, pk))

    def _load_holders(self, pairs) -> None:
        keys = {dedup_key_for(e, version, rule.pk, self.tenant) for e, rule, version in pairs}
        keys.discard(None)
        if keys:
            rows = Decision.objects.filter(tenant=self.tenant, dedup_key__in=keys).values_list(
                "pk", "dedup_key"
            )
            for pk, key in rows:
                self.holders[key] = Decision(pk=pk, dedup_key=key)

    def _load_window(self, pairs) -> None:
        windowed = [(e, r, v) for e, r, v in pairs if v.max_count and v.window_hours]
        if not windowed:
            return
        keys = sorted({(rule.pk, event.subject) for event, rule, _version in windowed})
        window_locks(self.tenant, keys)
        span = timedelta(hours=max(version.window_hours for _e, _r, version in windowed))
        stamps = [event.occurred_at for event, _rule, _version in windowed]
        rows = (
            Decision.objects.filter(
                tenant=self.tenant,
                rule_id__in={rule_id for rule_id, _subject in keys},
                subject__in={subject for _rule_id, subject in keys},
                outcome__in=SENDING,
                event__occurred_at__gt=min(stamps) - span,
                event__occurred_at__lte=max(stamps),
            )
            .exclude(outcome=Outcome.SCHEDULED, reason=DELAY)
            .values_list("pk", "rule_id", "subject", "event__occurred_at")
        )
        for pk, rule_id, subject, occurred_at in rows:
            earlier = Decision(pk=pk, rule_id=rule_id, subject=subject)
            self.window[(rule_id, subject)].append((occurred_at, earlier))

    # --- what the batch decided so far ------------------------------------------------

    def seen(self, event: Event) -> None:
        if event.event_type in self.history_types:
            self.history[(event.subject, event.event_type)].append((event.occurred_at, event.pk))

    def took(self, decision: Decision) -> None:
        if decision.outcome not in SENDING:
            return
        if decision.outcome == Outcome.SCHEDULED and decision.reason == DELAY:
            return  # not yet decided: it counts once it is (as the window's query has it)
        if decision.dedup_key:
            self.holders[decision.dedup_key] = decision
        version = decision.version
        if version.max_count and version.window_hours:
            key = (decision.rule_id, decision.subject)
            self.window[key].append((decision.event.occurred_at, decision))

    def released(self, decision: Decision) -> None:
        """A send refused by the outbox uses up no limit."""
        for key, holder in list(self.holders.items()):
            if holder is decision:
                del self.holders[key]
        entries = self.window.get((decision.rule_id, decision.subject), [])
        entries[:] = [(at, d) for at, d in entries if d is not decision]

    def channel(self, kind: str):
        if kind not in self.channels:
            self.channels[kind] = sending.channel_for_kind(self.tenant, kind)
        return self.channels[kind]

    def team(self) -> list[str]:
        """Where the batch's alerts go (read once)."""
        if self.team_addresses is None:
            self.team_addresses = sending.team_addresses(self.tenant)
        return self.team_addresses


def window_locks(tenant, keys) -> None:
    """Serialise "N per window" checks per (company, rule, subject) until commit (PostgreSQL:
    advisory transaction locks, taken in one order so two batches never deadlock)."""
    if connection.vendor != "postgresql" or not keys:
        return
    ids = sorted({_lock_id(tenant.pk, rule_id, subject) for rule_id, subject in keys})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(%s::bigint[]) AS k ORDER BY k) s",
            [ids],
        )


def _lock_id(tenant_id, rule_id: int, subject: str) -> int:
    digest = hashlib.blake2b(f"rules:{tenant_id}:{rule_id}:{subject}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def dedup_key_for(event: Event, version: RuleVersion, rule_id: int, tenant) -> str | None:
    once = version.once_per
    if not once:
        return None
    base = f"{rule_id}:{event.subject}"
    if once == "day":
        zone = ZoneInfo(tenant.time_zone)
        return f"{base}:{event.occurred_at.astimezone(zone).date().isoformat()}"
    return base
