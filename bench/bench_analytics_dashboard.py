"""Analytics at 1,000,000 leads and 3,000,000 actions: overview, channels and funnel for 90
days through the full stack (seed NFR: dashboard p95 < 300 ms).

Data: one tenant, leads spread over 365 days (8 sources, 5 lists, every status, 60 % with a
first contact), 3 actions per lead, written with INSERT … SELECT generate_series (created once,
then reused; BENCH_ANALYTICS_LEADS sets the size). The rollups are backfilled once by
`range_refresh` (what `manage.py analytics_rebuild` runs; its time is printed).

Figures (in-process Django client, logged in as an analyst, JWT for the API):
- GET …/analytics/dashboard/?period=90d, …/channels/, …/funnel/ (p95 goal < 300 ms); the
  overview twice: as served (reused for a minute while the rollups are unchanged) and cold
  (every cache of apps/analytics/dashboard.py off: what each request costs right after a new
  lead); the SQL queries of one request are printed beside each;
- yardstick: a plain GROUP BY source over the raw leads table for the same 90 days (what
  the page would do without rollups).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import timedelta

from _common import Summary, report, setup_django, vacuum_analyze
from bench_leads_ingest import prepare_database
from bench_payperlead_reads import analyst_client, timed_gets

LEADS = int(os.environ.get("BENCH_ANALYTICS_LEADS", "1000000"))
ACTIONS_PER_LEAD = 3
SLUG = "bench-analytics"
RUNS = int(os.environ.get("BENCH_ANALYTICS_RUNS", "20"))
GOAL_MS = 300.0

LEADS_SQL = """
INSERT INTO leads_lead (tenant_id, person_key, identity_key, external_id, name, email, phone,
  company, role, industry, company_size, website, pain_point, not_determined, status, source,
  lead_type, list_id, consent_processing, consent_marketing, consent_source, manual_fields,
  created_at, updated_at, first_contact_at)
SELECT %(tenant)s, 'e:b' || g || '@example.com', 'e:b' || g || '@example.com', 'b-' || g,
  'Bench ' || g, 'b' || g || '@example.com', '', '', '', '', '', '', '', '{}'::jsonb,
  (ARRAY['new','contacted','contacted','booked','won','lost'])[1 + g %% 6],
  (ARRAY['widget','web_chat','telegram','whatsapp','sms','email','api','import'])[1 + g %% 8],
  '', CASE WHEN g %% 6 = 5 THEN NULL ELSE (%(lists)s::bigint[])[1 + g %% 5] END,
  false, false, '', '{}'::jsonb,
  now() - (g::float / %(n)s) * interval '365 days',
  now() - (g::float / %(n)s) * interval '365 days',
  CASE WHEN g %% 6 IN (1, 2, 3, 4) OR g %% 10 = 0
       THEN now() - (g::float / %(n)s) * interval '365 days' + ((g %% 97) * interval '3 minutes')
       END
FROM generate_series(1, %(n)s) g
"""

ACTIONS_SQL = """
INSERT INTO leads_leadaction (tenant_id, lead_id, action_type, engagement_level, occurred_at,
  channel, metadata, created_at)
SELECT l.tenant_id, l.id, 'visit', 'Low', l.created_at + k * interval '1 hour', l.source,
  '{}'::jsonb, l.created_at
FROM leads_lead l CROSS JOIN generate_series(1, %(k)s) k WHERE l.tenant_id = %(tenant)s
"""

YARDSTICK_SQL = """
SELECT source, count(*),
  count(*) FILTER (WHERE first_contact_at IS NOT NULL OR status IN ('contacted','booked','won')),
  count(*) FILTER (WHERE status IN ('booked','won')), count(*) FILTER (WHERE status = 'won')
FROM leads_lead WHERE tenant_id = %s AND created_at >= %s GROUP BY source
"""


def bench_tenant():
    from django.db import connection, transaction

    from apps.leads.models import Lead, LeadList
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None and Lead.objects.for_tenant(tenant).count() == LEADS:
        print(f"reusing {SLUG}: {LEADS:,} leads")
        vacuum()
        return tenant, False
    if tenant is not None:
        with connection.cursor() as cursor:
            for table in (
                "analytics_dailyleadstats",
                "leads_leadaction",
                "leads_lead",
                "leads_leadlist",
                "tenants_membership",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
        tenant.delete()
    tenant = Tenant.objects.create(name="Bench analytics", slug=SLUG)
    started = time.perf_counter()
    print(f"generating {LEADS:,} leads and {LEADS * ACTIONS_PER_LEAD:,} actions …", flush=True)
    with transaction.atomic():
        lists = [LeadList.objects.create(tenant=tenant, name=f"List {i}").pk for i in range(5)]
        with connection.cursor() as cursor:
            cursor.execute(LEADS_SQL, {"tenant": tenant.pk, "lists": lists, "n": LEADS})
            cursor.execute(ACTIONS_SQL, {"tenant": tenant.pk, "k": ACTIONS_PER_LEAD})
    vacuum()
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return tenant, True


def vacuum() -> None:
    """Without it, a reused table read every lead's heap page for "unanswered now" (116 ms
    instead of an index-only count) after the widget and ingest benches had written leads of
    their own."""
    vacuum_analyze("leads_lead", "leads_leadaction")


def backfill(tenant) -> float:
    from django.utils import timezone

    from apps.analytics.rollups import local_day, range_refresh, tenant_zone

    today = local_day(timezone.now(), tenant_zone(tenant))
    started = time.perf_counter()
    rows = range_refresh(tenant, today - timedelta(days=366), today)
    seconds = time.perf_counter() - started
    print(f"rollup backfill (analytics_rebuild) of 367 days: {rows:,} rows in {seconds:.1f} s")
    return seconds


def yardstick(tenant) -> Summary:
    from django.db import connection
    from django.utils import timezone

    since = timezone.now() - timedelta(days=90)
    times = []
    for _run in range(RUNS + 1):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(YARDSTICK_SQL, [tenant.pk, since])
            cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return Summary.of(times[1:])


def main() -> None:
    prepare_database()
    setup_django()
    tenant, fresh = bench_tenant()
    if fresh or not backfilled(tenant):
        backfill(tenant)
    client = analyst_client(tenant)
    base = f"/api/v1/tenants/{tenant.pk}/analytics/"
    raw = yardstick(tenant)
    size = f"{LEADS:,} leads, {LEADS * ACTIONS_PER_LEAD:,} actions"
    for name, cold in (
        ("dashboard", True),
        ("dashboard", False),
        ("channels", False),
        ("funnel", False),
    ):
        with uncached(cold):
            queries = queries_per_get(client, f"{base}{name}/", {"period": "90d"})
            figure = timed_gets(client, f"{base}{name}/", {"period": "90d"})
        label = f"{name}, cold" if cold else name
        report(
            f"analytics {label}, 90 days ({size}), {queries} SQL queries per request",
            figure=f"GET …/analytics/{name}/?period=90d (full stack)",
            figure_summary=figure,
            yardstick="plain GROUP BY source over the raw leads table, 90 days",
            yardstick_summary=raw,
            goal=f"p95 < {GOAL_MS:.0f} ms",
            goal_met=figure.p95 < GOAL_MS,
        )


@contextmanager
def uncached(cold: bool):
    """With `cold`, the overview's caches keep nothing (a timeout of 0 stores nothing)."""
    from apps.analytics import dashboard

    names = ("DASHBOARD_SECONDS", "OPEN_PERIOD_SECONDS", "CLOSED_PERIOD_SECONDS")
    saved = {name: getattr(dashboard, name) for name in names}
    if cold:
        for name in names:
            setattr(dashboard, name, 0)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(dashboard, name, value)


def queries_per_get(client, url, params) -> int:
    """SQL statements of one request after a first one (sessions and plans warmed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    return len(captured.captured_queries)


def backfilled(tenant) -> bool:
    from apps.analytics.models import DailyLeadStats

    return DailyLeadStats.objects.for_tenant(tenant).exists()


if __name__ == "__main__":
    main()
