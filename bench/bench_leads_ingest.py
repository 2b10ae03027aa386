"""Bulk lead ingestion through the real API vs PostgreSQL's own binary COPY of the same rows.

Figure: 100,000 items with 3 actions each POSTed in 10 requests of 10,000 to
/api/v1/tenants/{t}/leads/ in-process (Django test client, tenant API key): JSON parsing,
validation, identity/dedup, customers/products, leads, actions and timeline, the quota, the
response. 20 % of every batch after the first repeat leads of earlier batches (they merge:
their actions are added to the existing lead), and the tenant is on a plan with a hard lead
quota (large enough to refuse nothing), so every batch reserves on the meter.
Yardstick: binary COPY of the rows the API ends up writing — the new leads and every item's
actions (a repeat's actions on the lead copied before) — into the same tables, one
transaction per batch. The two run interleaved, batch by batch (alternating which goes
first), so both see the same load. Goal: the API reaches at least 25 % of COPY's rows/s.

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

NAME = "leads_ingest: API batches (20 % repeats, quota plan) vs binary COPY, interleaved, rows/s"
LEADS = int(os.environ.get("BENCH_INGEST_LEADS", "100000"))
BATCH = 10_000
ACTIONS = ("Page View", "Form Submission", "Share")
LEVELS = ("Low", "High", "Medium")
TARGET = 0.25
REPEATS = 0.2  # share of a batch (after the first) that repeats earlier leads

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
            "billing_usagemeter",
            "billing_subscription",
            "billing_billingaccount",
            "billing_billingevent",
            "tenants_auditlogentry",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(  # whatever else the run wrote (valuations after ingestion, …)
            "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
            "WHERE c.confrelid = 'tenants_tenant'::regclass AND a.attname = 'tenant_id'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("DELETE FROM tenants_tenant WHERE id = %s", [tenant.pk])


def make_items(start: int, count: int) -> list[dict]:
    return items_of(range(start, start + count))


def batch_indices(batch: int) -> list[int]:
    """Lead numbers of a batch: new ones, and 20 % repeats of earlier batches' leads."""
    repeats = int(BATCH * REPEATS) if batch else 0
    fresh = BATCH - repeats
    first_new = batch * BATCH - (batch - 1) * repeats if batch else 0
    new = list(range(first_new, first_new + fresh))
    old = [(k * 7919) % first_new for k in range(repeats)] if repeats else []
    return new + old


def items_of(indices, visit: int = 0) -> list[dict]:
    """Items of these lead numbers; `visit` moves the actions (a repeat brings new ones)."""
    base = datetime(2024, 4, 1, tzinfo=UTC)
    items = []
    for i in indices:
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
                        "timestamp": (at + timedelta(days=visit, minutes=k + 1))
                        .isoformat()
                        .replace("+00:00", "Z"),
                        "engagement_level": LEVELS[k],
                    }
                    for k in range(3)
                ],
            }
        )
    return items


def quota_plan():
    """A plan with a hard lead quota that refuses nothing in this bench."""
    from apps.billing.models import LimitMode, Plan

    plan, _created = Plan.objects.update_or_create(
        code="bench_quota",
        defaults={
            "name_ru": "Бенч",
            "name_en": "Bench",
            "lead_limit": 100 * LEADS,
            "limit_mode": LimitMode.HARD,
            "price_amount": 0,
        },
    )
    return plan


class ApiSide:
    """The API tenant (on the quota plan) and its client; one request per batch."""

    def __init__(self) -> None:
        from django.test import Client

        from apps.billing.services import subscription_activate
        from apps.tenants.keys import api_key_create

        self.tenant = bench_tenant("api")
        subscription_activate(tenant=self.tenant, plan=quota_plan())
        _key, raw = api_key_create(tenant=self.tenant, actor=None, name="bench")
        self.client = Client(HTTP_X_API_KEY=raw)
        self.path = f"/api/v1/tenants/{self.tenant.pk}/leads/"

    def batch(self, body: bytes, expect_new: int) -> float:
        started = time.perf_counter()
        response = self.client.post(self.path, body, content_type="application/json")
        seconds = time.perf_counter() - started
        summary = response.json().get("summary", {})
        if response.status_code != 200 or summary.get("created") != expect_new:
            raise SystemExit(f"API ingestion failed: {response.status_code} {summary}")
        return seconds

    def check_usage(self, expected: int) -> None:
        from apps.billing.plan_limits import plan_limits_get
        from apps.billing.selectors import usage_current

        used = usage_current(self.tenant, plan_limits_get(self.tenant)).used
        if used != expected:
            raise SystemExit(f"usage {used} != {expected} leads created")


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


class CopySide:
    """The yardstick tenant: binary COPY of what the API writes, one transaction a batch."""

    def __init__(self) -> None:
        from apps.leads.ingestion.writer import ACTION_COLUMNS, LEAD_COLUMNS, _types
        from apps.leads.models import Customer, Lead, LeadAction, Product

        self.tenant = tenant = bench_tenant("copy")
        self.customers = {
            f"customer-{i}": Customer.objects.create(
                tenant=tenant, external_ref=f"customer-{i}", name="c"
            ).pk
            for i in range(50)
        }
        self.products = {
            f"product-{i}": Product.objects.create(
                tenant=tenant, external_ref=f"product-{i}", name="p"
            ).pk
            for i in range(20)
        }
        self.lead_types = _types(Lead, ("id", *LEAD_COLUMNS))
        self.action_types = _types(LeadAction, ACTION_COLUMNS)
        self.lead_columns = ", ".join(("id", *LEAD_COLUMNS))
        self.action_columns = ", ".join(ACTION_COLUMNS)
        self.ids: dict[str, int] = {}  # lead_id → row id, for the repeats' actions

    def batch(self, items: list[dict]) -> float:
        from django.db import connection, transaction

        fresh = [item for item in items if item["lead_id"] not in self.ids]
        leads, _actions = _copy_rows(self.tenant, fresh, self.customers, self.products)
        _leads, actions = _copy_rows(self.tenant, items, self.customers, self.products)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('leads_lead', 'id')) "
                "FROM generate_series(1, %s)",
                [len(leads)],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
            with cursor.cursor.copy(
                f"COPY leads_lead ({self.lead_columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(self.lead_types)
                for lead_id, row in zip(new_ids, leads, strict=True):
                    copy.write_row((lead_id, *row))
            for item, lead_id in zip(fresh, new_ids, strict=True):
                self.ids[item["lead_id"]] = lead_id
            with cursor.cursor.copy(
                f"COPY leads_leadaction ({self.action_columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(self.action_types)
                for item, rows in zip(items, actions, strict=True):
                    lead_id = self.ids[item["lead_id"]]
                    for tenant_id, *rest in rows:
                        copy.write_row((tenant_id, lead_id, *rest))
        return time.perf_counter() - started


def main() -> int:
    prepare_database()
    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    batches = LEADS // BATCH
    all_items = [items_of(batch_indices(b), visit=b) for b in range(batches)]
    bodies = [json.dumps(items).encode() for items in all_items]
    rows_per_batch = BATCH * (1 + len(ACTIONS))
    print(
        f"{batches} requests × {BATCH} items × {len(ACTIONS)} actions, {REPEATS:.0%} repeats "
        f"after the first ({rows_per_batch * batches:,} rows; body {len(bodies[0]) / 1e6:.1f} MB)"
    )
    api, copy = ApiSide(), CopySide()
    api_seconds, copy_seconds, created = [], [], 0
    try:
        for b, (items, body) in enumerate(zip(all_items, bodies, strict=True)):
            expect_new = BATCH - (int(BATCH * REPEATS) if b else 0)
            created += expect_new
            if b % 2:
                copy_seconds.append(copy.batch(items))
                api_seconds.append(api.batch(body, expect_new))
            else:
                api_seconds.append(api.batch(body, expect_new))
                copy_seconds.append(copy.batch(items))
        api.check_usage(created)
    finally:
        drop_tenant(api.tenant)
        drop_tenant(copy.tenant)
    api_rate = [rows_per_batch / s for s in api_seconds]
    copy_rate = [rows_per_batch / s for s in copy_seconds]
    total_api, total_copy = sum(api_seconds), sum(copy_seconds)
    overall = total_copy / total_api
    print(
        f"totals: API {total_api:.2f} s ({rows_per_batch * batches / total_api:,.0f} rows/s), "
        f"COPY {total_copy:.2f} s ({rows_per_batch * batches / total_copy:,.0f} rows/s), "
        f"overall ratio {overall:.2f} (goal ≥ {TARGET}); usage meter = {created:,} created"
    )
    api_summary, copy_summary = Summary.of(api_rate), Summary.of(copy_rate)
    report(
        NAME,
        figure=f"API rows/s per request of {BATCH:,} items (+{3 * BATCH:,} actions)",
        figure_summary=api_summary,
        yardstick="binary COPY rows/s of the rows the API writes, same batch, interleaved",
        yardstick_summary=copy_summary,
        unit="rows/s",
        status="ok",
        goal=f"≥ {TARGET} of COPY (higher is better)",
        goal_met=api_summary.median >= TARGET * copy_summary.median,
        note=f"overall {overall:.2f}; {LEADS:,} items; the quota meter checked = leads created",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
