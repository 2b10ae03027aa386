"""Row storage for ingestion: PostgreSQL binary COPY on the fast path, the ORM elsewhere (SQLite).

Bulk ingestion must reach a good fraction of PostgreSQL's own COPY rate, so on PostgreSQL new
leads get ids from the sequence up front and every table is written with binary COPY. A small
batch (the widget, one API lead) is one INSERT statement instead: COPY's set-up costs more than
it saves there. A round trip is the unit of cost: lock + ids + lookup is one, the writes are
one (or one COPY per table).

A per-tenant advisory lock keeps identity lookups and inserts from racing: a batch takes it
exclusively; single submissions take it shared, run side by side and settle a race for the
same person on the unique constraints (ON CONFLICT DO NOTHING, then merge).

Rows travel as tuples in the order of the *_COLUMNS constants (no per-row dicts).
"""

from __future__ import annotations

import functools
import json
import zlib
from typing import Any, NamedTuple

from django.db import connection
from psycopg.types.json import Jsonb, set_json_dumps

from apps.core.prepared import prepared_cursor
from apps.leads.models import Lead, LeadAction, TimelineEntry

LEAD_COLUMNS = (
    "tenant_id",
    "person_key",
    "identity_key",
    "external_id",
    "name",
    "email",
    "phone",
    "company",
    "role",
    "industry",
    "company_size",
    "website",
    "status",
    "source",
    "lead_type",
    "product_id",
    "customer_id",
    "list_id",
    "assigned_to_id",
    "consent_processing",
    "consent_processing_at",
    "consent_marketing",
    "consent_marketing_at",
    "consent_source",
    "manual_fields",
    "created_at",
    "updated_at",
)
ACTION_COLUMNS = (
    "tenant_id",
    "lead_id",
    "action_type",
    "engagement_level",
    "occurred_at",
    "channel",
    "metadata",
    "created_at",
)
TIMELINE_COLUMNS = ("tenant_id", "lead_id", "kind", "actor_id", "body", "data", "created_at")
FILL_FIELDS = ("name", "email", "phone", "company", "role", "industry", "company_size", "website")
# Up to this many rows (leads + actions + timeline) one multi-statement INSERT beats COPY's
# extra round trips.
SMALL_BATCH = 50

_PG_TYPES = {
    "CharField": "text",
    "EmailField": "text",
    "TextField": "text",
    "BooleanField": "bool",
    "DateTimeField": "timestamptz",
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "AutoField": "int4",
    "UUIDField": "uuid",
    "JSONField": "jsonb",
}


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _types(model, columns) -> list[str]:
    return _types_of(model, tuple(columns))


@functools.cache
def _types_of(model, columns: tuple[str, ...]) -> list[str]:
    """Binary COPY needs each column's type: taken from the model, so they cannot drift."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    out = []
    for column in columns:
        field = by_column[column]
        if field.is_relation:
            field = field.target_field
        out.append(_PG_TYPES[field.get_internal_type()])
    return out


def _json_positions(columns) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(columns) if c in ("metadata", "data", "manual_fields"))


def _lock_key(tenant) -> int:
    return zlib.crc32(f"leads-ingest:{tenant.pk}".encode())


def lock_tenant_ingestion(tenant) -> None:
    """Serialize ingestion per tenant until the transaction ends (PostgreSQL).

    SQLite runs write transactions one at a time already (transaction_mode IMMEDIATE).
    """
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(tenant)])


class Found(NamedTuple):
    reserved: list[int] | None  # lead ids from the sequence (None on SQLite)
    by_ref: dict[str, int]
    by_identity: dict[str, int]
    existing: dict[int, dict]
    also: tuple | None = None  # the first row of the `also` statement (PostgreSQL)


def sends_together() -> bool:
    """Whether `lock_and_find` can carry another statement in its round trip (PostgreSQL)."""
    return _is_postgres()


def lock_and_find(
    tenant,
    *,
    count: int,
    refs: set[str],
    identities: set[str],
    durable: bool = True,
    shared: bool = False,
    also: tuple[str, list] | None = None,
) -> Found:
    """Take the tenant's ingestion lock, reserve `count` lead ids and find the existing leads
    with these references or identities — in one round trip on PostgreSQL.

    The lookup is a separate statement after the lock, so its snapshot sees whatever the
    previous holder committed. Ids of items that turn out to merge are never used (sequences
    have gaps anyway). `shared=True` (a single submission) takes the lock shared: single
    submissions run side by side and settle their races on the unique constraints (see
    `write_batch`), while a batch, holding it exclusively, still sees none of them half-done.
    `durable=False` lets this transaction's COMMIT return before its WAL
    reaches the disk (see `ingest_leads`). `also`: one more statement (sql, params) for the
    same round trip, after the lock — billing's quota reservation — whose first row comes
    back as `also` (only where `sends_together()`).
    by_ref/by_identity map to lead ids; `existing` maps a lead id to
    {"manual_fields": [...], <person field>: value, ...} for blank-filling merges.
    """
    also_row = None
    if _is_postgres():
        reserved, also_row, rows = _lock_and_find_pg(
            tenant, count, refs, identities, durable, shared, also
        )
    else:
        if also is not None:
            raise ValueError("lock_and_find carries another statement on PostgreSQL only")
        reserved, rows = None, _find_existing_orm(tenant, refs, identities)
    by_ref, by_identity, existing = {}, {}, {}
    for pk, external_id, ident, manual, *person in rows:
        if external_id:
            by_ref[external_id] = pk
        by_identity[ident] = pk
        if isinstance(manual, str):  # Django leaves jsonb undecoded on PostgreSQL
            manual = json.loads(manual)
        existing[pk] = {
            "manual_fields": manual or [],
            **dict(zip(FILL_FIELDS, person, strict=True)),
        }
    return Found(reserved, by_ref, by_identity, existing, also_row)


def _lock_and_find_pg(tenant, count, refs, identities, durable, shared, also):
    """The statements go together in one pipeline (one round trip), each bound on the server,
    so psycopg prepares the shapes it sees repeatedly: planning them against the leads
    table's many indexes cost more than running them."""
    lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    lock_sql = (
        f"WITH l AS MATERIALIZED (SELECT {lock}(%s::int8)) "  # noqa: S608
        "SELECT nextval(pg_get_serial_sequence(%s::text, 'id')) FROM l, generate_series(1, %s::int)"
    )
    find_sql, find_params = _find_sql(tenant, refs, identities)
    connection.ensure_connection()
    conn = connection.connection
    with (
        conn.pipeline(),
        prepared_cursor() as ids,
        prepared_cursor() as extra,
        prepared_cursor() as found,
    ):
        if not durable:
            ids.execute("SET LOCAL synchronous_commit TO off")
        if shared:  # a single submission: its prepared shapes are planned once, not each time
            ids.execute("SET LOCAL plan_cache_mode TO force_generic_plan")
        ids.execute(lock_sql, [_lock_key(tenant), Lead._meta.db_table, count])
        if also is not None:
            extra.execute(*also)
        if find_sql:
            found.execute(find_sql, find_params)
        reserved = [row[0] for row in ids.fetchall()]
        also_row = extra.fetchone() if also is not None else None
        rows = found.fetchall() if find_sql else []
    return reserved, also_row, rows


def _find_sql(tenant, refs, identities) -> tuple[str, list]:
    """Look keys up by joining them (tenant included) against the unique indexes.

    `tenant_id = X AND identity_key = ANY(…)` lets the planner pick any tenant-prefixed index
    when a young tenant's statistics say it has no rows — then it filters every lead of the
    tenant. As a join on (tenant_id, key) the only sensible path is the unique index.
    """
    columns = ", ".join(
        f"l.{c}" for c in ("id", "external_id", "identity_key", "manual_fields", *FILL_FIELDS)
    )
    table = Lead._meta.db_table
    parts, params = [], []
    if identities:
        parts.append(
            f"SELECT {columns} FROM unnest(%s::uuid[], %s::text[]) AS k(tenant_id, key) "  # noqa: S608
            f"JOIN {table} l ON l.tenant_id = k.tenant_id AND l.identity_key = k.key"
        )
        params += [[tenant.pk] * len(identities), list(identities)]
    if refs:
        parts.append(
            f"SELECT {columns} FROM unnest(%s::uuid[], %s::text[]) AS k(tenant_id, ref) "  # noqa: S608
            f"JOIN {table} l ON l.tenant_id = k.tenant_id AND l.external_id = k.ref "
            "AND l.external_id <> ''"
        )
        params += [[tenant.pk] * len(refs), list(refs)]
    return " UNION ALL ".join(parts), params


def _find_existing_orm(tenant, refs, identities):
    fields = ("pk", "external_id", "identity_key", "manual_fields", *FILL_FIELDS)
    query = Lead.objects.for_tenant(tenant)
    rows = []
    if refs:
        rows += list(query.filter(external_id__in=refs).values_list(*fields))
    if identities:
        rows += list(query.filter(identity_key__in=identities).values_list(*fields))
    return rows


def existing_action_keys(lead_ids: set[int]) -> set[tuple]:
    """(lead id, action type, engagement, occurred at) of actions the leads already have."""
    if not lead_ids:
        return set()
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT lead_id, action_type, engagement_level, occurred_at "  # noqa: S608
                f"FROM {LeadAction._meta.db_table} WHERE lead_id = ANY(%s)",
                [list(lead_ids)],
            )
            return set(cursor.fetchall())
    rows = (
        LeadAction.objects.unscoped()
        .filter(lead_id__in=lead_ids)
        .values_list("lead_id", "action_type", "engagement_level", "occurred_at")
    )
    return set(rows)


def write_batch(
    leads: list[tuple], actions: list[tuple], timeline: list[tuple], *, concurrent: bool = False
):
    """Write new leads (tuples: id, then LEAD_COLUMNS), their actions and timeline rows.

    PostgreSQL: a small batch (the widget, one API lead) goes as one statement; a large one as
    one binary COPY per table. Returns a function mapping the ids used in
    the rows to the stored ids (placeholders are negative on SQLite; identity on PostgreSQL).

    `concurrent=True` (one submission under the shared lock): the new lead is inserted with
    ON CONFLICT DO NOTHING and its actions and timeline only if it was; when another
    submission of the same person won the race, nothing is written and None is returned —
    the caller finds that lead and merges into it. Actions never duplicate (ON CONFLICT on
    their natural key).
    """
    if not _is_postgres():
        return _write_batch_orm(leads, actions, timeline)
    if concurrent and leads:
        return _same if _insert_unless_taken(leads, actions, timeline) else None
    parts = [
        (Lead, ("id", *LEAD_COLUMNS), leads),
        (LeadAction, ACTION_COLUMNS, actions),
        (TimelineEntry, TIMELINE_COLUMNS, timeline),
    ]
    parts = [part for part in parts if part[2]]
    if not parts:
        return _same
    if concurrent or len(leads) + len(actions) + len(timeline) <= SMALL_BATCH:
        _insert_together(parts)
    else:
        for model, columns, rows in parts:
            if rows:
                _copy(model._meta.db_table, columns, _types(model, columns), rows)
    return _same


def _same(lead_id: int) -> int:
    return lead_id


def _write_batch_orm(leads, actions, timeline):
    created = Lead.objects.bulk_create(
        [Lead(**dict(zip(LEAD_COLUMNS, row[1:], strict=True))) for row in leads], batch_size=500
    )
    real = {row[0]: obj.pk for row, obj in zip(leads, created, strict=True)}

    def real_id(lead_id: int) -> int:
        return real.get(lead_id, lead_id)

    for model, columns, rows in (
        (LeadAction, ACTION_COLUMNS, actions),
        (TimelineEntry, TIMELINE_COLUMNS, timeline),
    ):
        model.objects.bulk_create(
            [model(**dict(zip(columns, (r[0], real_id(r[1]), *r[2:]), strict=True))) for r in rows],
            batch_size=500,
        )
    return real_id


def _values(model, columns, rows, params: list) -> str:
    """A typed VALUES list (casts, so all-NULL columns still have a type); fills `params`."""
    positions = _json_positions(columns)
    one = "(" + ", ".join(f"%s::{t}" for t in _types(model, columns)) + ")"
    params += [value for row in rows for value in _wrap_json(row, positions)]
    return f"VALUES {', '.join([one] * len(rows))}"


def _insert_sql(model, columns, rows, params: list) -> str:
    conflict = " ON CONFLICT DO NOTHING" if model is LeadAction else ""
    return (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
        f"{_values(model, columns, rows, params)}{conflict}"
    )


def _insert_together(parts) -> None:
    """Several multi-row INSERTs as one statement (data-modifying CTEs): one round trip."""
    params: list = []
    inserts = [
        f"i{n} AS ({_insert_sql(model, columns, rows, params)})"
        for n, (model, columns, rows) in enumerate(parts)
    ]
    with prepared_cursor() as cursor:
        cursor.execute(f"WITH {', '.join(inserts)} SELECT 1", params)


def _insert_unless_taken(leads, actions, timeline) -> bool:
    """One statement: the lead ON CONFLICT DO NOTHING, its actions and timeline only if it
    was inserted (a foreign key to a row inserted by the same statement is fine)."""
    params: list = []
    lead_columns = ("id", *LEAD_COLUMNS)
    parts = [
        f'new_lead AS (INSERT INTO "{Lead._meta.db_table}" ({", ".join(lead_columns)}) '
        f"{_values(Lead, lead_columns, leads, params)} ON CONFLICT DO NOTHING RETURNING id)"
    ]
    for name, model, columns, rows in (
        ("new_actions", LeadAction, ACTION_COLUMNS, actions),
        ("new_timeline", TimelineEntry, TIMELINE_COLUMNS, timeline),
    ):
        if rows:
            parts.append(
                f'{name} AS (INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608
                f"SELECT * FROM ({_values(model, columns, rows, params)}) AS v "
                "WHERE EXISTS (SELECT FROM new_lead)"
                f"{' ON CONFLICT DO NOTHING' if model is LeadAction else ''})"
            )
    with prepared_cursor() as cursor:
        sql = f"WITH {', '.join(parts)} SELECT count(*) FROM new_lead"  # noqa: S608
        cursor.execute(sql, params)
        return cursor.fetchone()[0] == len(leads)


def insert_timeline(rows: list[tuple]) -> None:
    _insert(TimelineEntry, TIMELINE_COLUMNS, rows)


def update_leads(changes: dict[int, dict[str, Any]], now) -> None:
    """Blank-filling updates of merged leads: one bulk UPDATE per set of changed fields
    (a re-import that adds phones to 10,000 leads is a few statements, not 10,000)."""
    groups: dict[tuple[str, ...], list[Lead]] = {}
    for lead_id, fields in changes.items():
        names = tuple(sorted(fields))
        groups.setdefault(names, []).append(Lead(pk=lead_id, updated_at=now, **fields))
    for names, leads in groups.items():
        Lead.objects.unscoped().bulk_update(leads, [*names, "updated_at"], batch_size=1000)


def _wrap_json(row: tuple, positions: tuple[int, ...]) -> tuple:
    values = list(row)
    for i in positions:
        values[i] = Jsonb(values[i])
    return tuple(values)


def _insert(model, columns, rows: list[tuple]) -> None:
    if not rows:
        return
    if not _is_postgres():
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
        )
        return
    table = model._meta.db_table
    if len(rows) < SMALL_BATCH:
        positions = _json_positions(columns)
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        params = [value for row in rows for value in _wrap_json(row, positions)]
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" ({", ".join(columns)}) '  # noqa: S608
                f"VALUES {', '.join([one] * len(rows))}",
                params,
            )
        return
    _copy(table, columns, _types(model, columns), rows)


def _json_dumps(obj) -> str:
    """json.dumps, short-cut for the empty objects most action/lead rows carry."""
    if not obj and isinstance(obj, dict | list):
        return "{}" if isinstance(obj, dict) else "[]"
    return json.dumps(obj)


def _copy(table: str, columns, types: list[str], tuples) -> None:
    statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN (FORMAT BINARY)'
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        set_json_dumps(_json_dumps, cursor.cursor)
        copy.set_types(types)
        write = copy.write_row
        for values in tuples:
            write(values)
