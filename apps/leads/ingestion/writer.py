"""Row storage for ingestion: PostgreSQL COPY on the fast path, the ORM elsewhere (SQLite).

Bulk ingestion must reach a good fraction of PostgreSQL's own COPY rate, so on PostgreSQL new
leads get ids from the sequence up front and every table is written with COPY. A per-tenant
advisory lock serializes ingestion of one tenant, so identity lookups and inserts cannot race.
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
_JSON_COLUMNS = {"metadata", "data"}


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def lock_tenant_ingestion(tenant) -> None:
    """Serialize ingestion per tenant until the transaction ends (PostgreSQL).

    SQLite runs write transactions one at a time already (transaction_mode IMMEDIATE).
    """
    if _is_postgres():
        key = zlib.crc32(f"leads-ingest:{tenant.pk}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def find_existing(tenant, *, refs: set[str], identities: set[str]):
    """Existing leads of the tenant by external id and by identity key."""
    fields = ("pk", "external_id", "identity_key", *_FILL_FIELDS)
    query = Lead.objects.for_tenant(tenant)
    rows = []
    if refs:
        rows += list(query.filter(external_id__in=refs).values(*fields))
    if identities:
        rows += list(query.filter(identity_key__in=identities).values(*fields))
    by_ref = {r["external_id"]: r["pk"] for r in rows if r["external_id"]}
    by_identity = {r["identity_key"]: r["pk"] for r in rows}
    existing = {r["pk"]: r for r in rows}
    return by_ref, by_identity, existing


_FILL_FIELDS = ("name", "email", "phone", "company", "role", "industry", "company_size", "website")


def existing_action_keys(lead_ids: set[int]) -> set[tuple]:
    if not lead_ids:
        return set()
    rows = (
        LeadAction.objects.unscoped()
        .filter(lead_id__in=lead_ids)
        .values_list("lead_id", "action_type", "engagement_level", "occurred_at")
    )
    return set(rows)


def insert_leads(rows: list[dict[str, Any]]) -> list[int]:
    """Insert leads; returns their ids in order."""
    if not rows:
        return []
    if not _is_postgres():
        objs = Lead.objects.bulk_create([Lead(**row) for row in rows], batch_size=500)
        return [obj.pk for obj in objs]
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    _copy(
        table,
        ("id", *LEAD_COLUMNS),
        (
            (lead_id, *(row[c] for c in LEAD_COLUMNS))
            for lead_id, row in zip(ids, rows, strict=True)
        ),
    )
    return ids


def insert_actions(rows: list[dict[str, Any]]) -> None:
    _insert(LeadAction, ACTION_COLUMNS, rows)


def insert_timeline(rows: list[dict[str, Any]]) -> None:
    _insert(TimelineEntry, TIMELINE_COLUMNS, rows)


def _insert(model, columns, rows) -> None:
    if not rows:
        return
    if not _is_postgres():
        model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    _copy(
        model._meta.db_table,
        columns,
        (tuple(Jsonb(row[c]) if c in _JSON_COLUMNS else row[c] for c in columns) for row in rows),
    )


def _copy(table: str, columns, tuples) -> None:
    statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for values in tuples:
            copy.write_row(values)
