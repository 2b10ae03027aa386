"""Lead exports of 100,000 leads: CSV vs a bare COPY, XLSX vs xlsxwriter, and flat memory.

1. CSV — figure: GET /api/v1/tenants/{t}/leads/export/?format=csv in-process (API key,
   whole stack), streaming body consumed to the last byte. Yardstick: the same
   `COPY (SELECT …) TO STDOUT (FORMAT csv)` run bare through psycopg. Target: ≤ 2×.
2. XLSX — figure: the same request with format=xlsx (our streaming writer). Yardstick:
   xlsxwriter in constant_memory mode writing the same rows (fetched the same way, dates as
   dates) to a file. Target: ≤ 1×.
3. Memory — peak traced Python memory (tracemalloc) of each export at 100,000 rows vs
   25,000 rows: flat means the ratio stays near 1.

Standalone: `.venv/bin/python bench/bench_leads_export.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc

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
    from django.db import connection

    from apps.leads.export.csv_stream import copy_statement
    from apps.leads.selectors import lead_filter
    from apps.tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        statement, params = copy_statement(lead_filter(tenant, {}))
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for _data in copy:
            pass
    return time.perf_counter() - started


def xlsxwriter_same_rows(tenant) -> float:
    import xlsxwriter
    from django.utils import timezone

    from apps.leads.export import export_rows
    from apps.leads.export.columns import COLUMNS, DATETIME, headers
    from apps.leads.selectors import lead_filter

    tz = timezone.get_current_timezone()
    dates = [i for i, column in enumerate(COLUMNS) if column.kind == DATETIME]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        book = xlsxwriter.Workbook(f"{folder}/leads.xlsx", {"constant_memory": True})
        sheet = book.add_worksheet("Leads")
        date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet.write_row(0, 0, headers())
        for number, row in enumerate(export_rows(lead_filter(tenant, {})), start=1):
            values = list(row)
            for i in dates:
                if values[i] is not None:
                    values[i] = values[i].astimezone(tz).replace(tzinfo=None)
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if col in dates:
                    sheet.write_datetime(number, col, value, date_format)
                else:
                    sheet.write(number, col, value)
        book.close()
    return time.perf_counter() - started


def peak_memory(tenant, fmt: str) -> float:
    """Peak traced Python memory (MB) while streaming an export (the body is discarded)."""
    from apps.leads.export import stream_export
    from apps.leads.selectors import lead_filter

    tracemalloc.start()
    for _block in stream_export(lead_filter(tenant, {}), fmt):
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


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
        f"leads_export: CSV of {ROWS:,} leads via the API vs bare COPY … TO STDOUT, s",
        figure="GET leads/export/?format=csv, streamed to the last byte",
        figure_summary=csv_summary,
        yardstick="COPY (same SELECT) TO STDOUT (FORMAT csv), bare psycopg",
        yardstick_summary=Summary.of(copy_times),
        unit="s",
        note="target ≤ 2×",
    )

    xlsx_times, writer_times = [], []
    for _run in range(RUNS_XLSX):
        _first, total, size = download(client, path, "xlsx")
        xlsx_times.append(total)
        writer_times.append(xlsxwriter_same_rows(big))
    print(f"XLSX: {size / 1e6:.1f} MB")
    report(
        f"leads_export: XLSX of {ROWS:,} leads via the API vs xlsxwriter constant_memory, s",
        figure="GET leads/export/?format=xlsx (own streaming writer), to the last byte",
        figure_summary=Summary.of(xlsx_times),
        yardstick="xlsxwriter constant_memory writing the same rows to a file",
        yardstick_summary=Summary.of(writer_times),
        unit="s",
        note="target ≤ 1×",
    )

    for fmt in ("csv", "xlsx"):
        large = [peak_memory(big, fmt) for _ in range(2)]
        few = [peak_memory(small, fmt) for _ in range(2)]
        report(
            f"leads_export: peak memory of the {fmt.upper()} export, "
            f"{ROWS:,} vs {SMALL_ROWS:,} rows, MB",
            figure=f"tracemalloc peak streaming {ROWS:,} rows",
            figure_summary=Summary.of(large),
            yardstick=f"tracemalloc peak streaming {SMALL_ROWS:,} rows",
            yardstick_summary=Summary.of(few),
            unit="MB",
            note="flat: ratio ≈ 1 (independent of the row count)",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
