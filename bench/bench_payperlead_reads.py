"""Pay-per-lead reads at 1,000,000 actions: the report page and API read stored reports, and
the all-customers CSV streams the stored lines in one pass.

Data: bench_billing_report.py's tenant (100,000 leads, 1,000,000 April actions, 50 customers),
valued once by `period_refresh` (the background refresh after ingestion; its time is printed).

Figures (requests through Django's full stack, in-process, logged in as an analyst):
- report page, all customers and one customer (p95 goal < 300 ms), and the API's JSON for
  both; yardstick: one SELECT of the stored report rows (what the page cannot do with less);
- the all-customers CSV, consumed whole, its trailer checked (goal < 10 s); yardstick: a plain
  `COPY (SELECT the same stored columns) TO STDOUT WITH CSV`; memory as the process's RSS
  growth while streaming (constant memory: a few MB, not the file's size).
"""

from __future__ import annotations

import os
import time

from _common import Summary, report, setup_django, vacuum_analyze
from bench_billing_report import PERIOD, bench_tenant
from bench_leads_ingest import prepare_database

RUNS = int(os.environ.get("BENCH_PPL_READ_RUNS", "20"))
CSV_RUNS = int(os.environ.get("BENCH_PPL_CSV_RUNS", "3"))


def rss_mb() -> float:
    """Resident set size of this process, from /proc (not tracemalloc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def analyst_client(tenant):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.tenants.models import Membership
    from apps.tenants.scoping import tenant_scope

    user, _created = get_user_model().objects.get_or_create(
        email="bench-analyst@example.com", defaults={"is_active": True}
    )
    with tenant_scope(tenant):
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": "analyst"})
    client = Client()
    client.force_login(user)  # the dashboard's session
    access = RefreshToken.for_user(user).access_token  # the API's bearer token
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {access}"
    return client


def refreshed(tenant) -> float:
    from apps.payperlead.models import PeriodValuation
    from apps.payperlead.services import period_refresh

    state = PeriodValuation.objects.for_tenant(tenant).filter(month=PERIOD).first()
    if state is not None and state.valued_at is not None and not state.pending:
        print("reusing the stored April valuation")
        return 0.0
    started = time.perf_counter()
    period_refresh(tenant=tenant, period=PERIOD)
    seconds = time.perf_counter() - started
    print(f"period_refresh (background task) valued and stored 1,000,000 lines in {seconds:.1f} s")
    return seconds


def timed_gets(client, url, params, runs=RUNS) -> Summary:
    client.get(url, params)  # warm
    times = []
    for _run in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        times.append((time.perf_counter() - started) * 1000)
    return Summary.of(times)


def stored_rows_select(tenant, runs=RUNS) -> Summary:
    from django.db import connection

    times = []
    for _run in range(runs):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM billing_billingreport WHERE tenant_id = %s AND period = %s",
                [tenant.pk, PERIOD],
            )
            cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return Summary.of(times)


def plain_copy(tenant) -> float:
    """The yardstick: COPY of the stored lines' columns, nothing formatted or joined."""
    from django.db import connection

    sql = (
        "COPY (SELECT r.period, r.customer_id, b.product_id, b.lead_id, b.lead_type, "
        "b.default_card, b.action_ref, b.action_type, b.engagement, b.occurred_at, b.card_id, "
        "b.card_version, r.currency, b.value, b.billed, b.savings, b.reason, "
        "b.duplicate_of_ref, b.card_id, b.billed_before, b.adjustment, b.action_period "
        "FROM billing_billingline b JOIN billing_billingreport r ON r.id = b.report_id "
        "WHERE r.tenant_id = %s AND r.period = %s "
        "ORDER BY r.customer_id, b.adjustment, b.occurred_at, b.action_ref) "
        "TO STDOUT WITH (FORMAT csv)"
    )
    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql, [tenant.pk, PERIOD]) as copy:
        for block in copy:
            size += len(block)
    return time.perf_counter() - started


def csv_download(client, url, params) -> tuple[float, float, int]:
    before = rss_mb()
    peak = before
    started = time.perf_counter()
    response = client.get(url, params)
    assert response.status_code == 200
    tail, lines = b"", 0
    for index, chunk in enumerate(response.streaming_content):
        lines += chunk.count(b"\n")
        tail = (tail + chunk)[-400:]
        if index % 16 == 0:
            peak = max(peak, rss_mb())
    seconds = time.perf_counter() - started
    last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].decode()
    assert last.startswith("#end,1000000,"), f"no complete trailer: {last!r}"
    return seconds, peak - before, lines


def main() -> int:
    prepare_database()
    setup_django()
    from django.core.management import call_command
    from django.urls import reverse

    from apps.tenants.scoping import tenant_scope

    call_command("collectstatic", interactive=False, verbosity=0)  # pages need the manifest
    tenant = bench_tenant()
    with tenant_scope(tenant):
        refreshed(tenant)
    # bench_billing_report rewrote every line a dozen times just before this bench
    autovacuum = vacuum_analyze("billing_billingline", "billing_billingreport", "leads_lead")
    print(f"autovacuum: {autovacuum} (the tables read were vacuumed and analyzed either way)")
    client = analyst_client(tenant)
    page = reverse("payperlead:reports", kwargs={"tenant_slug": tenant.slug})
    api = f"/api/v1/tenants/{tenant.pk}/billing/reports/"
    month = {"period": f"{PERIOD:%Y-%m}"}
    one = {**month, "customer": "customer-0"}
    yard = stored_rows_select(tenant)
    for name, url, params in (
        ("report page, all customers", page, month),
        ("report page, one customer (20,000 actions)", page, one),
        ("API JSON, all customers", api, month),
    ):
        summary = timed_gets(client, url, params)
        report(
            f"payperlead: {name}, at 1,000,000 actions, ms",
            figure=f"GET {name} (stored totals)",
            figure_summary=summary,
            yardstick="one SELECT of the month's stored report rows",
            yardstick_summary=yard,
            goal="p95 < 300 ms",
            goal_met=summary.p95 < 300,
        )
    one_api = timed_gets(client, api, one, runs=2)
    print(f"  info       API JSON of one customer with its 20,000 lines: {one_api.line('ms')}")
    csv_times, copy_times, memory = [], [], []
    for _run in range(CSV_RUNS):
        seconds, grown, lines = csv_download(client, api, {**month, "format": "csv"})
        csv_times.append(seconds)
        memory.append(grown)
        copy_times.append(plain_copy(tenant))
    csv_summary = Summary.of(csv_times)
    report(
        "payperlead: all-customers CSV of 1,000,000 lines, s",
        figure="GET …/billing/reports/?format=csv (one COPY of stored lines + trailer)",
        figure_summary=csv_summary,
        yardstick="plain COPY … WITH CSV of the same stored columns",
        yardstick_summary=Summary.of(copy_times),
        unit="s",
        goal="< 10 s, whole (trailer checked), RSS growth < 64 MB",
        goal_met=csv_summary.p95 < 10 and max(memory) < 64,
        note=f"RSS growth while streaming: max {max(memory):.1f} MB; {lines:,} newlines",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
