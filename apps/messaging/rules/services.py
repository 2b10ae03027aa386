"""Events in: the API (single or batch), the platform's own domain events and the editor's
test. Every event is stored once per `event_id` (a replay answers the first result and sends
nothing) and evaluated in the same transaction, in the order of `occurred_at`.

Subjects: `lead_id` names a lead (`lead:<id>`); `user_id` is the tenant's own user id, linked
to the lead whose `external_id` it is. When an event about a user brings `email` or `phone`
in its properties, that lead is created or updated through lead ingestion (consent to
marketing from a boolean `marketing_opt_in`), so the user can be written to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.leads.ingestion.service import ingest_leads
from apps.leads.models import Lead, Source
from apps.messaging.rules import engine
from apps.messaging.rules.models import Decision, Event, EventSource, Outcome
from apps.messaging.rules.reasons import reason_texts
from apps.tenants.scoping import tenant_scope

CONTACT_KEYS = ("email", "phone", "name")


@dataclass
class EventResult:
    event: Event | None
    status: str  # accepted / replayed
    decisions: list[Decision] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event.event_id,
            "status": self.status,
            "subject": self.event.subject,
            "lead_id": self.event.lead_id,
            "decisions": [decision_dict(d) for d in self.decisions],
        }


def decision_dict(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "rule": decision.rule.code,
        "rule_version": decision.version.number,
        "outcome": decision.outcome,
        "reason_code": decision.reason,
        "reason": reason_texts(decision),
        "message_id": decision.message_id,
        "earlier_decision_id": decision.earlier_id,
        "due_at": decision.due_at,
    }


def subject_of(*, lead_id: int | None = None, user_id: str | None = None) -> str:
    """An external user is its own subject (even once linked to a lead); a lead is `lead:<id>`."""
    return str(user_id) if user_id is not None else f"lead:{lead_id}"


def event_record(
    *,
    tenant,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    properties: dict | None = None,
    lead: Lead | None = None,
    user_id: str | None = None,
    subject: str = "",
    source: str = EventSource.API,
    only=None,
) -> EventResult:
    """Store and evaluate one event; the same `event_id` again answers the first result."""
    item = {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "properties": properties,
        "lead": lead,
        "user_id": user_id,
        "subject": subject,
        "source": source,
    }
    return event_record_batch(tenant=tenant, items=[item], only=only)[0]


def event_record_batch(*, tenant, items: list[dict], only=None) -> list[EventResult]:
    """Store and evaluate events in the order they occurred (results in the order sent).
    Up to CHUNK events share one transaction, a few reads and bulk writes; when a concurrent
    worker stored one of the same events or took a "once" limit meanwhile, the chunk is
    rolled back and its events are recorded one by one (each again if it lost a race)."""
    order = sorted(range(len(items)), key=lambda i: items[i]["occurred_at"])
    results: list[EventResult | None] = [None] * len(items)
    for start in range(0, len(order), CHUNK):
        part = order[start : start + CHUNK]
        try:
            answers = _record_chunk(tenant, [items[i] for i in part], only)
        except IntegrityError:
            answers = [_record_one(tenant, items[i], only) for i in part]
        for index, answer in zip(part, answers, strict=True):
            results[index] = answer
    return results  # type: ignore[return-value]


CHUNK = 500
ATTEMPTS = 3


def _record_one(tenant, item: dict, only) -> EventResult:
    attempts = ATTEMPTS
    while True:
        try:
            return _record_chunk(tenant, [item], only)[0]
        except IntegrityError:
            first = _replayed(tenant, item["event_id"])
            if first is not None:
                return first
            attempts -= 1  # a "once" key taken meanwhile: evaluated again, it is suppressed
            if not attempts:
                raise


def _record_chunk(tenant, items: list[dict], only) -> list[EventResult]:
    with transaction.atomic():
        ids = [item["event_id"] for item in items]
        stored = set(
            Event.objects.filter(tenant=tenant, event_id__in=ids).values_list("event_id", flat=True)
        )
        fresh: dict[str, Event] = {}
        for item in items:
            if item["event_id"] in stored or item["event_id"] in fresh:
                continue
            fresh[item["event_id"]] = _new_event(tenant, item)
        events = list(fresh.values())
        Event.objects.bulk_create(events)
        decided = engine.evaluate_events(events, tenant=tenant, only=only)
    answers = []
    for item in items:
        event = fresh.pop(item["event_id"], None)
        if event is not None:
            answers.append(EventResult(event, "accepted", decided[event.pk]))
        else:
            answers.append(_replayed(tenant, item["event_id"]))
    return answers


def _new_event(tenant, item: dict) -> Event:
    properties = item.get("properties") or {}
    lead, user_id = item.get("lead"), item.get("user_id")
    if lead is None and user_id is not None:
        lead = _user_lead(tenant, user_id, properties)
        _link_subject(tenant, str(user_id), lead)
    subject = item.get("subject") or subject_of(lead_id=lead.pk if lead else None, user_id=user_id)
    return Event(
        tenant=tenant,
        event_id=item["event_id"],
        event_type=item["event_type"],
        subject=subject,
        lead=lead,
        occurred_at=item["occurred_at"],
        properties=properties,
        source=item.get("source") or EventSource.API,
    )


def _replayed(tenant, event_id: str) -> EventResult | None:
    event = Event.objects.filter(tenant=tenant, event_id=event_id).first()
    if event is None:
        return None
    return EventResult(event, "replayed", decision_list_for_event(event))


def decision_list_for_event(event: Event) -> list[Decision]:
    return list(
        Decision.objects.filter(event=event)
        .select_related("rule", "version")
        .order_by("rule__priority", "id")
    )


def _user_lead(tenant, user_id: str, properties: dict) -> Lead | None:
    """The lead of an external user: found by external id, created or updated from the
    contact details the event brings."""
    item: dict[str, Any] = {"external_id": user_id}
    item.update({k: str(properties[k]) for k in CONTACT_KEYS if properties.get(k)})
    if isinstance(properties.get("marketing_opt_in"), bool):
        item["consent"] = {"marketing": properties["marketing_opt_in"]}
    if len(item) > 1:
        outcome = ingest_leads(tenant=tenant, items=[item], source=Source.API)
        lead_id = outcome.results[0].lead_id
        if lead_id is not None:
            return Lead.objects.filter(tenant=tenant, pk=lead_id).first()
    return Lead.objects.filter(tenant=tenant, external_id=user_id).first()


def _link_subject(tenant, subject: str, lead: Lead | None) -> None:
    """The user's earlier events (and their decisions) from before it had a lead get it."""
    if lead is None:
        return
    Event.objects.filter(tenant=tenant, subject=subject, lead__isnull=True).update(lead=lead)
    Decision.objects.filter(tenant=tenant, subject=subject, lead__isnull=True).update(lead=lead)


def decisions_run_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Claim and run scheduled decisions that came due (the beat task); returns how many."""
    now = now or timezone.now()
    due = list(
        Decision.objects.unscoped()
        .filter(outcome=Outcome.SCHEDULED, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for pk in due:
        count += decision_run_due(pk, now=now)
    return count


def decision_run_due(pk: int, *, now: datetime) -> int:
    with transaction.atomic():
        claimed = (
            Decision.objects.unscoped()
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, outcome=Outcome.SCHEDULED)
            .select_related("tenant", "event", "rule", "version", "version__template", "lead")
            .first()
        )
        if claimed is None:
            return 0
        with tenant_scope(claimed.tenant):
            engine.run_due(claimed, now=now)
    return 1


def internal_events_record(*, tenant, items: list[dict]) -> int:
    """Record the platform's own events (subscribers.py); a lead deleted meanwhile is skipped."""
    recorded = 0
    for item in items:
        lead = None
        if item.get("lead_id") is not None:
            lead = Lead.objects.filter(tenant=tenant, pk=item["lead_id"]).first()
            if lead is None:
                continue
        event_record(
            tenant=tenant,
            event_id=item["event_id"],
            event_type=item["event_type"],
            occurred_at=parse_datetime(item["occurred_at"]),
            properties=item.get("properties") or {},
            lead=lead,
            subject=item.get("subject", ""),
            source=EventSource.INTERNAL,
        )
        recorded += 1
    return recorded
