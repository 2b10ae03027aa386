"""Where a stored report's lines are written: the rows of valued lines, their fingerprint and
the write itself. A refresh that values a customer's month to the very same lines as last
time leaves the stored lines in place (`lines_digest` on the report), so revaluing a month in
which one customer's leads changed rewrites that customer's lines only."""

from __future__ import annotations

import hashlib
import marshal

from django.db import connection

from apps.payperlead import engine, selectors
from apps.payperlead.models import BillingLine, month_start

# `tenant_id` and `report_id` lead, given when the rows are written; the rest is `line_rows`.
LINE_COLUMNS = (
    "tenant_id",
    "report_id",
    "action_id",
    "action_ref",
    "lead_id",
    "lead_ref",
    "product_id",
    "person_key",
    "lead_type",
    "action_type",
    "engagement",
    "occurred_at",
    "action_period",
    "value",
    "billed",
    "savings",
    "reason",
    "duplicate_of_id",
    "duplicate_of_ref",
    "billed_before",
    "card_id",
    "card_version",
    "default_card",
    "adjustment",
)
LINE_BATCH = 2000
# Hashed ahead of the rows: a change in what a line stores changes every fingerprint.
_DIGEST_SALT = ",".join(LINE_COLUMNS).encode()


def line_rows(tenant, lines: list[engine.Line]) -> list[tuple]:
    """The stored form of valued lines, in LINE_COLUMNS order from `action_id` on (a million
    lines per refresh: plain unpacking, each card's columns looked up once)."""
    refs = selectors.lead_refs(tenant, {line.lead_id for line in lines})
    cards = {}
    months = {}
    rows = []
    for line in lines:
        (action_id, lead_id, _customer, product_id, person_key, lead_type, action_type,
         engagement, occurred_at, card, value, billed, savings, reason, duplicate_of,
         billed_before, adjustment) = line  # fmt: skip
        card_columns = cards.get(card)
        if card_columns is None:
            card_columns = cards[card] = (card.id, card.version, not card.lead_type)
        month = months.get((occurred_at.year, occurred_at.month))
        if month is None:
            month = months[(occurred_at.year, occurred_at.month)] = month_start(occurred_at)
        rows.append(
            (
                action_id,
                action_id,
                lead_id,
                refs.get(lead_id, ""),
                product_id,
                person_key,
                lead_type,
                action_type,
                engagement,
                occurred_at,
                month,
                value,
                billed,
                savings,
                reason,
                duplicate_of,
                duplicate_of,
                billed_before,
                *card_columns,
                adjustment,
            )
        )
    return rows


# In a row from `line_rows` (LINE_COLUMNS less tenant and report): the moment, then its month.
_OCCURRED_AT = LINE_COLUMNS.index("occurred_at") - 2


def lines_digest(rows: list[tuple]) -> str:
    """A fingerprint of the rows, equal for equal rows in the same order. Serialized with
    marshal, each moment as its POSIX timestamp (exact to the microsecond) and without the
    month it implies: datetimes were three quarters of the cost. Equal bytes mean equal rows;
    equal rows give equal bytes within one Python version (after an upgrade every report's
    lines are written once more)."""
    at = _OCCURRED_AT
    compact = [(*row[:at], row[at].timestamp(), *row[at + 2 :]) for row in rows]
    digest = hashlib.blake2b(_DIGEST_SALT, digest_size=32)
    digest.update(marshal.dumps(compact))
    return digest.hexdigest()


def lines_delete(tenant, reports) -> None:
    BillingLine.objects.for_tenant(tenant).filter(report__in=reports).delete()


def lines_write(tenant, report_id: int, rows: list[tuple]) -> None:
    """Store one report's lines: COPY on PostgreSQL (a big month's million lines in seconds),
    the ORM elsewhere."""
    full = ((tenant.pk, report_id, *row) for row in rows)
    if connection.vendor == "postgresql":
        table = BillingLine._meta.db_table
        with connection.cursor() as cursor:
            sql = f"COPY {table} ({', '.join(LINE_COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in full:
                    copy.write_row(row)
        return
    BillingLine.objects.bulk_create(
        [BillingLine(**dict(zip(LINE_COLUMNS, row, strict=True))) for row in full],
        batch_size=LINE_BATCH,
    )
