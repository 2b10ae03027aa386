"""Row storage for ingestion: PostgreSQL binary COPY on the fast path, the ORM elsewhere (SQLite).

Bulk ingestion must reach a good fraction of PostgreSQL's own COPY rate, so on PostgreSQL new
leads get ids from the sequence up front and every table is written with binary COPY (a single
row — the widget — uses one INSERT instead: COPY's set-up costs more than it saves there).
A per-tenant advisory lock serializes ingestion of one tenant (bulk and single alike), so
identity lookups and inserts cannot race; a transaction holds it for milliseconds.

Rows travel as tuples in the order of the *_COLUMNS constants (no per-row dicts).
"""

from __future__ import annotations

import zlib
from typing import Any

from django.db import connection
from psycopg.types.json import Jsonb

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
# Below this many rows a multi-row INSERT beats COPY's extra round trips.
SMALL_BATCH = 20

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


def lock_tenant_ingestion(tenant) -> None:
    """Serialize ingestion per tenant until the transaction ends (PostgreSQL).

    SQLite runs write transactions one at a time already (transaction_mode IMMEDIATE).
    """
    if _is_postgres():
        key = zlib.crc32(f"leads-ingest:{tenant.pk}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def find_existing(tenant, *, refs: set[str], identities: set[str]):
    """Existing leads of the tenant by external id and by identity key.

    Returns (by_ref, by_identity, existing): the first two map to lead ids, `existing` maps a
    lead id to {"manual_fields": [...], <person field>: value, ...} for blank-filling merges.
    """
    if not refs and not identities:
        return {}, {}, {}
    if _is_postgres():
        rows = _find_existing_pg(tenant, refs, identities)
    else:
        rows = _find_existing_orm(tenant, refs, identities)
    by_ref, by_identity, existing = {}, {}, {}
    for pk, external_id, ident, manual, *person in rows:
        if external_id:
            by_ref[external_id] = pk
        by_identity[ident] = pk
        existing[pk] = {
            "manual_fields": manual or [],
            **dict(zip(FILL_FIELDS, person, strict=True)),
        }
    return by_ref, by_identity, existing


def _find_existing_pg(tenant, refs, identities):
    columns = ", ".join(("id", "external_id", "identity_key", "manual_fields", *FILL_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {Lead._meta.db_table} WHERE tenant_id = %s AND "  # noqa: S608
            "(identity_key = ANY(%s) OR (external_id <> '' AND external_id = ANY(%s)))",
            [tenant.pk, list(identities), list(refs)],
        )
        return cursor.fetchall()


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


def insert_leads(rows: list[tuple]) -> list[int]:
    """Insert leads (tuples in LEAD_COLUMNS order); returns their ids in order."""
    if not rows:
        return []
    if not _is_postgres():
        objs = Lead.objects.bulk_create(
            [Lead(**dict(zip(LEAD_COLUMNS, row, strict=True))) for row in rows], batch_size=500
        )
        return [obj.pk for obj in objs]
    table = Lead._meta.db_table
    if len(rows) == 1:
        return [_insert_returning(table, LEAD_COLUMNS, rows[0])]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    columns = ("id", *LEAD_COLUMNS)
    _copy(
        table,
        columns,
        _types(Lead, columns),
        ((lead_id, *row) for lead_id, row in zip(ids, rows, strict=True)),
    )
    return ids


def insert_actions(rows: list[tuple]) -> None:
    _insert(LeadAction, ACTION_COLUMNS, rows)


def insert_timeline(rows: list[tuple]) -> None:
    _insert(TimelineEntry, TIMELINE_COLUMNS, rows)


def update_leads(changes: dict[int, dict[str, Any]], now) -> None:
    """Blank-filling updates of merged leads (few per batch: one UPDATE each)."""
    for lead_id, fields in changes.items():
        Lead.objects.unscoped().filter(pk=lead_id).update(**fields, updated_at=now)


def _wrap_json(row: tuple, positions: tuple[int, ...]) -> tuple:
    values = list(row)
    for i in positions:
        values[i] = Jsonb(values[i])
    return tuple(values)


def _insert_returning(table: str, columns, row: tuple) -> int:
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({", ".join(columns)}) '  # noqa: S608
            f"VALUES ({placeholders}) RETURNING id",
            _wrap_json(row, _json_positions(columns)),
        )
        return cursor.fetchone()[0]


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


def _copy(table: str, columns, types: list[str], tuples) -> None:
    statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN (FORMAT BINARY)'
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.set_types(types)
        write = copy.write_row
        for values in tuples:
            write(values)
