"""Bulk lead ingestion through the real API vs PostgreSQL's own binary COPY of the same rows.

Figure: 100,000 leads with 3 actions each (400,000 rows into leads + actions, plus 100,000
timeline rows the API also writes) POSTed in 10 requests of 10,000 to
/api/v1/tenants/{t}/leads/ in-process (Django test client, tenant API key): JSON parsing,
validation, identity/dedup, customers/products, leads, actions and timeline, the response.
Yardstick: binary COPY of the same lead and action rows (ids from the sequence, customers and
products already there) into the same tables, 10 transactions of 10,000 leads.
Target: the API reaches at least 25 % of COPY's rows/s (ratio ≥ 0.25; higher is better).

Standalone: `.venv/bin/python bench/bench_leads_ingest.py` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/fastlead_bench, is created and migrated if needed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import ROOT, Summary, bench_environment, report, setup_django

NAME = "leads_ingest: API bulk POST (10 × 10,000 leads × 3 actions) vs binary COPY, rows/s"
LEADS = int(os.environ.get("BENCH_INGEST_LEADS", "100000"))
BATCH = 10_000
ACTIONS = ("Page View", "Form Submission", "Share")
LEVELS = ("Low", "High", "Medium")
TARGET = 0.25

os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")


def prepare_database() -> None:
    """Create and migrate the bench database when run standalone (run_all does it too)."""
    for key, value in bench_environment().items():
        os.environ.setdefault(key, value)
    sys.path.insert(0, str(ROOT / "bench"))
    from run_all import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )


def bench_tenant(prefix: str):
    from apps.tenants.models import Tenant

    suffix = uuid.uuid4().hex[:8]
    tenant = Tenant.objects.create(name=f"Bench {prefix} {suffix}", slug=f"bench-{prefix}-{suffix}")
    grant_tools(tenant)
    return tenant


def grant_tools(tenant) -> None:
    """API keys and exports are plan tools: bench tenants get them by a staff grant."""
    from apps.features.services import tenant_feature_set

    for tool in ("api_access", "export"):
        tenant_feature_set(tenant=tenant, feature=tool, mode="grant", reason="benchmark")


def drop_tenant(tenant) -> None:
    """Remove a bench tenant's rows with plain SQL (fast, no ORM cascade collection)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "features_tenantfeature",
            "features_tenantfeaturehistory",
            "leads_timelineentry",
            "leads_leadaction",
            "leads_lead",
            "leads_customer",
            "leads_product",
            "tenants_tenantapikey",
            "tenants_tenant",
        ):
            column = "id" if table == "tenants_tenant" else "tenant_id"
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [tenant.pk])


def make_items(start: int, count: int) -> list[dict]:
    base = datetime(2024, 4, 1, tzinfo=UTC)
    items = []
    for i in range(start, start + count):
        at = base + timedelta(minutes=i)
        items.append(
            {
                "lead_id": f"lead-{i}",
                "customer_id": f"customer-{i % 50}",
                "product_id": f"product-{i % 20}",
                "lead_type": "Website Visit" if i % 2 else "Social Media",
                "email": f"person{i}@example.com",
                "name": f"Person {i}",
                "phone": f"+7916{i % 10_000_000:07d}",
                "created_at": at.isoformat().replace("+00:00", "Z"),
                "actions": [
                    {
                        "action_type": ACTIONS[k],
                        "timestamp": (at + timedelta(minutes=k + 1))
                        .isoformat()
                        .replace("+00:00", "Z"),
                        "engagement_level": LEVELS[k],
                    }
                    for k in range(3)
                ],
            }
        )
    return items


def run_api(batches: list[bytes]) -> list[float]:
    """Seconds per request of the API ingestion of each batch."""
    from django.test import Client

    from apps.tenants.keys import api_key_create

    tenant = bench_tenant("api")
    try:
        _key, raw = api_key_create(tenant=tenant, actor=None, name="bench")
        client = Client(HTTP_X_API_KEY=raw)
        path = f"/api/v1/tenants/{tenant.pk}/leads/"
        seconds = []
        for body in batches:
            started = time.perf_counter()
            response = client.post(path, body, content_type="application/json")
            seconds.append(time.perf_counter() - started)
            summary = response.json().get("summary", {})
            if response.status_code != 200 or summary.get("created") != BATCH:
                raise SystemExit(f"API ingestion failed: {response.status_code} {summary}")
        return seconds
    finally:
        drop_tenant(tenant)


def _copy_rows(tenant, items, customers, products):
    from psycopg.types.json import Jsonb

    from apps.leads.identity import identity_key, normalize_phone, person_key

    now = datetime.now(UTC)
    leads, actions = [], []
    for item in items:
        email = item["email"]
        person = person_key(email=email, phone="", lead_ref=item["lead_id"])
        customer, product = customers[item["customer_id"]], products[item["product_id"]]
        created = datetime.fromisoformat(item["created_at"])
        leads.append(
            [tenant.pk, person,
             identity_key(person=person, customer_id=customer, product_id=product),
             item["lead_id"], item["name"], email, normalize_phone(item["phone"]), "", "", "", "",
             "", "new", "api", item["lead_type"], product, customer, None, None, False, None,
             False, None, "", Jsonb([]), created, now]
        )  # fmt: skip
        actions.append(
            [(tenant.pk, a["action_type"], a["engagement_level"],
              datetime.fromisoformat(a["timestamp"]), "api", Jsonb({}), now)
             for a in item["actions"]]
        )  # fmt: skip
    return leads, actions


def run_copy(all_items: list[list[dict]]) -> list[float]:
    """Seconds per batch of binary COPY of the same rows (transaction and commit included)."""
    from django.db import connection, transaction

    from apps.leads.ingestion.writer import ACTION_COLUMNS, LEAD_COLUMNS, _types
    from apps.leads.models import Customer, Lead, LeadAction, Product

    tenant = bench_tenant("copy")
    try:
        customers = {
            f"customer-{i}": Customer.objects.create(
                tenant=tenant, external_ref=f"customer-{i}", name="c"
            ).pk
            for i in range(50)
        }
        products = {
            f"product-{i}": Product.objects.create(
                tenant=tenant, external_ref=f"product-{i}", name="p"
            ).pk
            for i in range(20)
        }
        lead_types = _types(Lead, ("id", *LEAD_COLUMNS))
        action_types = _types(LeadAction, ACTION_COLUMNS)
        seconds = []
        for items in all_items:
            leads, actions = _copy_rows(tenant, items, customers, products)
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence('leads_lead', 'id')) "
                    "FROM generate_series(1, %s)",
                    [len(leads)],
                )
                ids = [row[0] for row in cursor.fetchall()]
                columns = ", ".join(("id", *LEAD_COLUMNS))
                with cursor.cursor.copy(
                    f"COPY leads_lead ({columns}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(lead_types)
                    for lead_id, row in zip(ids, leads, strict=True):
                        copy.write_row((lead_id, *row))
                columns = ", ".join(ACTION_COLUMNS)
                with cursor.cursor.copy(
                    f"COPY leads_leadaction ({columns}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(action_types)
                    for lead_id, rows in zip(ids, actions, strict=True):
                        for tenant_id, *rest in rows:
                            copy.write_row((tenant_id, lead_id, *rest))
            seconds.append(time.perf_counter() - started)
        return seconds
    finally:
        drop_tenant(tenant)


def main() -> int:
    prepare_database()
    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    batches = LEADS // BATCH
    all_items = [make_items(b * BATCH, BATCH) for b in range(batches)]
    bodies = [json.dumps(items).encode() for items in all_items]
    rows_per_batch = BATCH * (1 + len(ACTIONS))
    print(
        f"{batches} requests × {BATCH} leads × {len(ACTIONS)} actions "
        f"({rows_per_batch * batches:,} rows; body {len(bodies[0]) / 1e6:.1f} MB each)"
    )
    copy_seconds = run_copy(all_items)
    api_seconds = run_api(bodies)
    api_rate = [rows_per_batch / s for s in api_seconds]
    copy_rate = [rows_per_batch / s for s in copy_seconds]
    total_api, total_copy = sum(api_seconds), sum(copy_seconds)
    overall = (rows_per_batch * batches / total_api) / (rows_per_batch * batches / total_copy)
    print(
        f"totals: API {total_api:.2f} s ({rows_per_batch * batches / total_api:,.0f} rows/s), "
        f"COPY {total_copy:.2f} s ({rows_per_batch * batches / total_copy:,.0f} rows/s), "
        f"overall ratio {overall:.2f} (target ≥ {TARGET})"
    )
    report(
        NAME,
        figure="API rows/s per request of 10,000 leads (+30,000 actions)",
        figure_summary=Summary.of(api_rate),
        yardstick="binary COPY rows/s of the same rows, per batch",
        yardstick_summary=Summary.of(copy_rate),
        unit="rows/s",
        status="ok",
        note=f"higher is better; target ratio ≥ {TARGET}; overall {overall:.2f}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
