"""Lead exports of 100,000 leads: CSV vs a plain COPY, XLSX vs xlsxwriter, and flat memory.

1. CSV — figure: GET /api/v1/tenants/{t}/leads/export/?format=csv in-process (API key,
   whole stack), streaming body consumed to the last byte. Yardstick: a plain
   `COPY (the same SELECT of the same columns) TO STDOUT WITH CSV` through psycopg — the
   rows as the database stores them, none of the export's formatting. Goal: ≤ 2×.
2. XLSX — figure: the same request with format=xlsx (our streaming writer). Yardstick:
   xlsxwriter's fastest path, constant_memory and one `write_row` per row (dates as dates
   through the workbook's default date format) of the same rows, to a file. Goal: ≤ 1×.
3. Memory — the process's resident set (peak RSS, VmHWM from /proc) of a fresh process
   streaming the export through the whole stack, above its RSS before the request; at
   100,000 rows vs 25,000 rows. Goal: < 64 MB and flat (ratio ≤ 1.5).

Standalone: `.venv/bin/python bench/bench_leads_export.py`. BENCH_EXPORT_ROWS sets the scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from _common import Summary, report, setup_django
from bench_leads_ingest import prepare_database
from bench_leads_list import api_client_for, tenant_with_leads

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))
SMALL_ROWS = ROWS // 4
RUNS_CSV = int(os.environ.get("BENCH_EXPORT_CSV_RUNS", "5"))
RUNS_XLSX = int(os.environ.get("BENCH_EXPORT_XLSX_RUNS", "3"))

os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")


def download(client, path: str, fmt: str) -> tuple[float, float, int]:
    """(seconds to the first byte, seconds to the last byte, bytes) of an export request."""
    started = time.perf_counter()
    response = client.get(path, {"format": fmt})
    assert response.status_code == 200, response.content[:300]
    first, size = None, 0
    for block in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        size += len(block)
    return first or 0.0, time.perf_counter() - started, size


def bare_copy(tenant) -> float:
    """A plain COPY … WITH CSV of the export's own SELECT (same columns, rows and order)."""
    from django.db import connection

    from apps.leads.export.columns import export_sql
    from apps.leads.selectors import lead_filter
    from apps.tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        sql, params = export_sql(lead_filter(tenant, {}))
    statement = f"COPY ({sql}) TO STDOUT WITH CSV"
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for _data in copy:
            pass
    return time.perf_counter() - started


def xlsxwriter_same_rows(tenant) -> float:
    """xlsxwriter's fastest path: constant_memory, one write_row per row."""
    import xlsxwriter
    from django.utils import timezone

    from apps.leads.export import export_rows
    from apps.leads.export.columns import COLUMNS, DATETIME, headers
    from apps.leads.selectors import lead_filter

    tz = timezone.get_current_timezone()
    dates = [i for i, column in enumerate(COLUMNS) if column.kind == DATETIME]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        book = xlsxwriter.Workbook(
            f"{folder}/leads.xlsx",
            {"constant_memory": True, "default_date_format": "yyyy-mm-dd hh:mm:ss"},
        )
        sheet = book.add_worksheet("Leads")
        sheet.write_row(0, 0, headers())
        for number, row in enumerate(export_rows(lead_filter(tenant, {})), start=1):
            values = list(row)
            for i in dates:
                if values[i] is not None:
                    values[i] = values[i].astimezone(tz).replace(tzinfo=None)
            sheet.write_row(number, 0, values)
        book.close()
    return time.perf_counter() - started


def rss_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, kB, from /proc (not tracemalloc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def peak_rss_child(slug: str, fmt: str) -> None:
    """In a fresh process: stream one export through the whole stack; print the peak RSS
    above the RSS before the request (MB)."""
    setup_django()
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.get(slug=slug)
    client = api_client_for(tenant)
    path = f"/api/v1/tenants/{tenant.pk}/leads/export/"
    client.get(f"/api/v1/tenants/{tenant.pk}/leads/", {"page_size": 1})  # imports, caches
    before = rss_kb("VmRSS")
    download(client, path, fmt)
    print(f"RSS_GROWTH_MB {(rss_kb('VmHWM') - before) / 1024:.2f}")


def peak_rss(slug: str, fmt: str) -> float:
    proc = subprocess.run(
        [sys.executable, __file__, "--rss", slug, fmt], capture_output=True, text=True, check=True
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("RSS_GROWTH_MB ")][-1]
    return float(line.split()[1])


def main() -> int:
    prepare_database()
    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    big = tenant_with_leads(f"bench-export-{ROWS}", ROWS)
    small = tenant_with_leads(f"bench-export-{SMALL_ROWS}", SMALL_ROWS)
    client = api_client_for(big)
    path = f"/api/v1/tenants/{big.pk}/leads/export/"
    download(client, path, "csv")  # warm the buffer pool for both sides
    bare_copy(big)

    csv_times, copy_times, first_bytes = [], [], []
    for _run in range(RUNS_CSV):
        first, total, size = download(client, path, "csv")
        csv_times.append(total)
        first_bytes.append(first * 1000)
        copy_times.append(bare_copy(big))
    print(
        f"CSV: {size / 1e6:.1f} MB; first byte after {min(first_bytes):.1f}–"
        f"{max(first_bytes):.1f} ms"
    )
    csv_summary = Summary.of(csv_times)
    report(
        f"leads_export: CSV of {ROWS:,} leads via the API vs a plain COPY … WITH CSV, s",
        figure="GET leads/export/?format=csv, streamed to the last byte",
        figure_summary=csv_summary,
        yardstick="plain COPY (same SELECT, same columns) TO STDOUT WITH CSV",
        yardstick_summary=Summary.of(copy_times),
        unit="s",
        goal="≤ 2× the plain COPY",
        goal_met=csv_summary.median <= 2 * Summary.of(copy_times).median,
    )

    xlsx_times, writer_times = [], []
    for _run in range(RUNS_XLSX):
        _first, total, size = download(client, path, "xlsx")
        xlsx_times.append(total)
        writer_times.append(xlsxwriter_same_rows(big))
    print(f"XLSX: {size / 1e6:.1f} MB")
    xlsx_summary, writer_summary = Summary.of(xlsx_times), Summary.of(writer_times)
    report(
        f"leads_export: XLSX of {ROWS:,} leads via the API vs xlsxwriter write_row, s",
        figure="GET leads/export/?format=xlsx (own streaming writer), to the last byte",
        figure_summary=xlsx_summary,
        yardstick="xlsxwriter constant_memory, write_row per row, same rows to a file",
        yardstick_summary=writer_summary,
        unit="s",
        goal="≤ 1× xlsxwriter",
        goal_met=xlsx_summary.median <= writer_summary.median,
    )

    for fmt in ("csv", "xlsx"):
        large = [peak_rss(big.slug, fmt) for _ in range(2)]
        few = [peak_rss(small.slug, fmt) for _ in range(2)]
        large_summary, few_summary = Summary.of(large), Summary.of(few)
        flat = large_summary.median <= 1.5 * max(few_summary.median, 1.0)
        report(
            f"leads_export: RSS growth of the {fmt.upper()} export, "
            f"{ROWS:,} vs {SMALL_ROWS:,} rows, MB",
            figure=f"peak RSS above the start, fresh process streaming {ROWS:,} rows",
            figure_summary=large_summary,
            yardstick=f"the same streaming {SMALL_ROWS:,} rows",
            yardstick_summary=few_summary,
            unit="MB",
            goal="< 64 MB and flat (≤ 1.5× the quarter, 1 MB floor)",
            goal_met=large_summary.median < 64 and flat,
        )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss"]:
        peak_rss_child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
