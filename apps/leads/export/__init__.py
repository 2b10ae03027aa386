"""Lead exports: CSV and XLSX of a lead queryset, streamed to the client or written to a file.

    export_response(queryset, "csv" | "xlsx")  → StreamingHttpResponse (starts at once)
    export_to_file(queryset, fmt, path, on_rows=…) → rows written (background jobs)

Give them `apps.leads.selectors.lead_filter(tenant, filters)`. The SQL is compiled when these are
called — inside the request's tenant scope — because TenantMiddleware resets the scope when
the view returns, before the response body is streamed; the generators carry only SQL text,
parameters and plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connections
from django.http import StreamingHttpResponse
from django.utils import timezone

from apps.leads.export.columns import (
    BOOL,
    COLUMNS,
    DATETIME,
    INT,
    export_sql,
    export_values,
    headers,
)
from apps.leads.export.csv_stream import stream_csv
from apps.leads.export.xlsx import stream_xlsx

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_PG_TYPES = {INT: "int8", DATETIME: "timestamptz", BOOL: "bool"}


def export_rows(queryset) -> Iterator[tuple]:
    """The export columns of `queryset` as tuples of Python values, streamed.

    PostgreSQL: binary COPY, decoded by psycopg in C (the fastest way rows reach Python);
    elsewhere: a server-side iterator.
    """
    database = connections[queryset.db]  # the replica for a background export
    if database.vendor == "postgresql":
        sql, params = export_sql(queryset)
        return _copy_rows(database, sql, params)
    keys = [f"c{i}" for i in range(len(COLUMNS))]
    values = export_values(queryset)
    return (tuple(row[k] for k in keys) for row in values.iterator(chunk_size=2000))


def _copy_rows(database, sql: str, params) -> Iterator[tuple]:
    types = [_PG_TYPES.get(column.kind, "text") for column in COLUMNS]
    statement = f"COPY ({sql}) TO STDOUT (FORMAT BINARY)"
    with database.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        copy.set_types(types)
        yield from copy.rows()


def stream_export(queryset, fmt: str, *, on_rows: Callable[[int], None] | None = None):
    """Blocks of bytes of the export in `fmt` (csv or xlsx)."""
    if fmt == "csv":
        return stream_csv(queryset, on_rows=on_rows)
    if fmt == "xlsx":
        return stream_xlsx(
            headers(),
            [column.kind for column in COLUMNS],
            export_rows(queryset),
            tz=timezone.get_current_timezone(),
            widths=[column.width for column in COLUMNS],
            on_rows=on_rows,
        )
    raise ValueError(f"unknown export format {fmt!r}")


def export_filename(fmt: str) -> str:
    return f"leads-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def export_response(queryset, fmt: str, *, filename: str | None = None) -> StreamingHttpResponse:
    """A streaming download of the export of `queryset`; the first bytes leave at once."""
    response = StreamingHttpResponse(stream_export(queryset, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename or export_filename(fmt)}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_to_file(queryset, fmt: str, path: Path, *, on_rows=None) -> None:
    """Write the export to `path` (a temporary name is renamed into place when complete)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    with partial.open("wb") as out:
        for block in stream_export(queryset, fmt, on_rows=on_rows):
            out.write(block)
    partial.replace(path)
