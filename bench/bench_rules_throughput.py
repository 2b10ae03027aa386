"""Follow-up rules throughput (issue 16): 10,000 events through 20 rules with 2 workers.

Setup: one company with e-mail and SMS channels, 1,000 leads, 20 enabled rules over 5 event
types (4 rules per event: property comparisons, an "any" group, a look-back at another event
within 24 h; sends limited once per lead or once a day, an alert). Events arrive in batches of
`BENCH_RULES_BATCH` (250, as the events API's batch form takes them); a batch is stored,
evaluated and decided in one transaction (`services.event_record_batch`), sends go into the
outbox in it.

Figure: per-event latency, event received → every decision of its batch stored, events/s of
the run (goal ≥ 500/s) and queries per event. Yardsticks, same process, same 2 workers: the
same events stored by a plain `INSERT` each in its own transaction (the figure earlier runs
were compared with), and by a plain bulk `INSERT` of the same batches (the floor of any
pipeline that keeps its events in batches). Workers are 2 forked processes, each with its own
database connection, each taking whole subjects (a queue partitioned by subject). The send
task is not published to a broker. `BENCH_RULES_EVENTS` (10,000) and `BENCH_RULES_LEADS`
(1,000) size it.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fastlead_bench \\
        .venv/bin/python bench/bench_rules_throughput.py
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import Summary, report, setup_django

EVENTS = int(os.environ.get("BENCH_RULES_EVENTS", "10000"))
LEADS = int(os.environ.get("BENCH_RULES_LEADS", "1000"))
WORKERS = 2
BATCH = int(os.environ.get("BENCH_RULES_BATCH", "250"))
TYPES = ("signup_completed", "link_bank_success", "payment_failed", "page_view", "plan_changed")
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _rules(tenant, template):
    from apps.messaging.rules.authoring import rule_save

    shapes = [
        ({"field": "properties.score", "op": "gte", "value": 50}, "send", "once_per", "ever"),
        ({"field": "properties.kind", "op": "in", "value": ["a", "b"]}, "send", "once_per", "day"),
        (
            {"event": "signup_completed", "within_hours": 24, "direction": "before"},
            "send",
            "once_per",
            "ever",
        ),
        (
            {
                "any": [
                    {"field": "properties.score", "op": "lt", "value": 5},
                    {"field": "properties.kind", "op": "eq", "value": "z"},
                ]
            },
            "alert",
            "once_per",
            "day",
        ),
    ]
    number = 0
    for event_type in TYPES:
        for conditions, action, limit_field, limit in shapes:
            number += 1
            rule_save(
                tenant=tenant,
                code=f"BENCH_{number:02d}",
                name=f"Bench {number}",
                enabled=True,
                trigger=event_type,
                conditions=conditions,
                action=action,
                template=template if action == "send" else None,
                channel=("email", "sms")[number % 2] if action == "send" else "",
                **{limit_field: limit},
            )


def _setup():
    from django.contrib.auth import get_user_model

    from apps.channels.models import Channel, ChannelStatus
    from apps.leads.ingestion.service import ingest_leads
    from apps.messaging.rules.authoring import template_save
    from apps.tenants.models import Membership, Tenant
    from apps.tenants.scoping import tenant_scope

    tenant = Tenant.objects.create(name="Bench rules", slug=f"bench-rules-{uuid.uuid4().hex[:8]}")
    user = get_user_model().objects.create_user(
        email=f"{tenant.slug}@example.com", password=uuid.uuid4().hex
    )
    with tenant_scope(tenant):
        Membership.objects.create(tenant=tenant, user=user, role="admin")
        for kind, provider in (("email", "smtp"), ("sms", "smsc")):
            channel = Channel(
                tenant=tenant,
                kind=kind,
                provider=provider,
                name=kind,
                status=ChannelStatus.CONNECTED,
            )
            channel.credentials = {"login": "x", "password": "y", "username": "x"}
            channel.settings = {"host": "smtp.example.com", "from_email": "hi@example.com"}
            channel.save()
        items = [
            {"email": f"lead{n}@example.com", "phone": f"+7999{n:07d}", "name": f"Lead {n}"}
            for n in range(LEADS)
        ]
        outcome = ingest_leads(tenant=tenant, items=items, source="api", count_quota=False)
        lead_ids = [r.lead_id for r in outcome.results]
        template = template_save(
            tenant=tenant, key="bench", name="Bench", body_ru="Привет, {{ lead.name }}!"
        )
        _rules(tenant, template)
    return tenant, lead_ids


def _events(lead_ids: list[int]) -> list[dict]:
    events = []
    for n in range(EVENTS):
        events.append(
            {
                "event_id": f"ev-{n}",
                "event_type": TYPES[n % len(TYPES)],
                "lead_id": lead_ids[n % len(lead_ids)],
                "occurred_at": START + timedelta(minutes=n),
                "properties": {"score": n % 100, "kind": "abcz"[n % 4]},
            }
        )
    return events


def _work(args) -> tuple[list[float], int]:
    """One worker: its share of the events in batches; the latency of each event in ms (its
    batch's: received → every decision of the batch stored) and the queries it took."""
    mode, tenant_id, events, suffix = args
    from django.db import connection, transaction

    from apps.leads.models import Lead
    from apps.messaging import outbox
    from apps.messaging.rules import alert_tasks, services
    from apps.messaging.rules.models import Event
    from apps.tenants.models import Tenant
    from apps.tenants.scoping import tenant_scope

    connection.close()  # a fresh connection of this process
    # The broker publish after commit is not the rules' work (and the embedded default's
    # SQLite broker would measure file locks): the send and alert tasks are not published.
    outbox.send_message_task.delay = lambda *args, **kwargs: None
    alert_tasks.send_mail_task.apply_async = lambda *args, **kwargs: None
    tenant = Tenant.objects.get(pk=tenant_id)
    latencies: list[float] = []
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with tenant_scope(tenant), connection.execute_wrapper(count):
        leads = {lead.pk: lead for lead in Lead.objects.filter(tenant=tenant)}
        queries = 0
        for start in range(0, len(events), BATCH):
            chunk = events[start : start + BATCH]
            started = time.perf_counter_ns()
            if mode == "insert":  # one event, one transaction
                for item in chunk:
                    begun = time.perf_counter_ns()
                    with transaction.atomic():
                        Event.objects.create(**_row(tenant, leads, item, suffix))
                    latencies.append((time.perf_counter_ns() - begun) / 1e6)
                continue
            if mode == "bulk":  # the batch, one transaction
                with transaction.atomic():
                    Event.objects.bulk_create(
                        [Event(**_row(tenant, leads, item, suffix)) for item in chunk]
                    )
            else:
                services.event_record_batch(
                    tenant=tenant,
                    items=[
                        {
                            "event_id": item["event_id"],
                            "event_type": item["event_type"],
                            "lead": leads[item["lead_id"]],
                            "occurred_at": item["occurred_at"],
                            "properties": item["properties"],
                        }
                        for item in chunk
                    ],
                )
            latencies.extend([(time.perf_counter_ns() - started) / 1e6] * len(chunk))
    connection.close()
    return latencies, queries


def _row(tenant, leads, item, suffix) -> dict:
    return {
        "tenant": tenant,
        "event_id": item["event_id"] + suffix,
        "event_type": item["event_type"],
        "subject": f"lead:{item['lead_id']}",
        "lead": leads[item["lead_id"]],
        "occurred_at": item["occurred_at"],
        "properties": item["properties"],
    }


def _run(mode: str, tenant, events: list[dict], suffix: str = "") -> tuple[list[float], float, int]:
    from django.db import connection

    # Each worker takes whole subjects (as a queue partitioned by subject would).
    shares = [[e for e in events if e["lead_id"] % WORKERS == w] for w in range(WORKERS)]
    connection.close()
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(WORKERS) as pool:
        parts = pool.map(_work, [(mode, tenant.pk, share, suffix) for share in shares])
    elapsed = time.perf_counter() - started
    return [x for part, _q in parts for x in part], elapsed, sum(q for _p, q in parts)


def main() -> None:
    setup_django()
    from apps.messaging.rules.models import Decision

    tenant, lead_ids = _setup()
    events = _events(lead_ids)
    try:
        insert_ms, insert_s, _q = _run("insert", tenant, events, suffix="-insert")
        bulk_ms, bulk_s, _q = _run("bulk", tenant, events, suffix="-bulk")
        rules_ms, rules_s, queries = _run("rules", tenant, events)
        decisions = Decision.objects.unscoped().filter(tenant=tenant).count()
    finally:
        tenant.delete()
    rate, insert_rate, bulk_rate = EVENTS / rules_s, EVENTS / insert_s, EVENTS / bulk_s
    report(
        f"rules: {EVENTS:,} events through 20 rules, {WORKERS} workers, batches of {BATCH}",
        figure="event received → all its decisions stored (event_record_batch), per event",
        figure_summary=Summary.of(rules_ms),
        yardstick="plain INSERT of the same event, own transaction, per event",
        yardstick_summary=Summary.of(insert_ms),
        goal="≥ 500 events/s through the rules",
        goal_met=rate >= 500,
        note=f"{rate:.0f} events/s through the rules ({decisions} decisions, "
        f"{queries / EVENTS:.1f} queries/event) vs {insert_rate:.0f} events/s plain INSERT "
        f"one by one and {bulk_rate:.0f} events/s plain bulk INSERT of the same batches "
        f"(median {Summary.of(bulk_ms).median:.1f} ms a batch); {EVENTS} events, "
        f"{WORKERS} workers",
    )


if __name__ == "__main__":
    main()
