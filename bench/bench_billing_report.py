"""The pay-per-lead April report of a big tenant vs one hand-written SQL query.

Data: one tenant with 100,000 leads over 50 customers and 20 products, 1,000,000 actions in
April 2024 (10 per lead, drawn from 8 action types × 3 engagement levels, so duplicates are
common), three lead types — "Social Media" with a card of its own (cap 30.00), "Website Visit"
and "Referral" on the tenant default, whose prices change on April 15 (cap 50.00 in both
versions, so many people hit it). Generated once with binary COPY and reused
(slug `bench-ppl-1m`).

Figure: `report_compute_all(tenant, 2024-04)` — every customer's report: the ordered stream of
the month's actions (server-side cursor, binary), the pure-Python valuation (cards by version,
duplicates, cap), saving the 50 report rows.
Yardstick: one SQL query computing the same totals per customer and product with window
functions (row_number for duplicates, a running sum of first occurrences for the cap) and the
same cards written into it as VALUES. Target ≤ 2×. The totals must agree to the cent.

Standalone: `.venv/bin/python bench/bench_billing_report.py` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/fastlead_bench, is created and migrated if needed).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from _common import Summary, report, setup_django
from bench_leads_ingest import prepare_database

SLUG = "bench-ppl-1m"
LEADS = int(os.environ.get("BENCH_PPL_LEADS", "100000"))
ACTIONS_PER_LEAD = 10
CUSTOMERS, PRODUCTS = 50, 20
RUNS = int(os.environ.get("BENCH_PPL_RUNS", "5"))
PERIOD = date(2024, 4, 1)
APRIL = datetime(2024, 4, 1, tzinfo=UTC)
SECONDS_IN_APRIL = 30 * 24 * 3600
SPLIT = datetime(2024, 4, 15, tzinfo=UTC)
ACTION_TYPES = (
    "Page View",
    "Form Submission",
    "Share",
    "Like",
    "Comment",
    "Download",
    "Call",
    "Chat",
)
LEVELS = ("High", "Medium", "Low")
LEAD_TYPES = ("Website Visit",) * 5 + ("Social Media",) * 3 + ("Referral",) * 2
# (lead type, valid from, valid to, High, Medium, Low, cap); "" is the tenant default.
CARDS = (
    ("", datetime(2000, 1, 1, tzinfo=UTC), SPLIT, 1000, 500, 200, 5000),
    ("", SPLIT, None, 1200, 600, 250, 5000),
    ("Social Media", datetime(2000, 1, 1, tzinfo=UTC), None, 700, 350, 100, 3000),
)
WORK_MEM = "256MB"

YARDSTICK_SQL = """
WITH card(lead_type, valid_from, valid_to, high, medium, low, cap) AS (VALUES {cards}),
valued AS (
  SELECT l.customer_id, l.product_id, l.person_key, a.id, a.occurred_at, a.action_type,
         a.engagement_level,
         CASE a.engagement_level WHEN 'High' THEN c.high WHEN 'Medium' THEN c.medium
                                 WHEN 'Low' THEN c.low END AS value,
         c.cap
  FROM leads_leadaction a
  JOIN leads_lead l ON l.id = a.lead_id
  JOIN card c
    ON c.lead_type = CASE WHEN l.lead_type IN (SELECT lead_type FROM card WHERE lead_type <> '')
                          THEN l.lead_type ELSE '' END
   AND a.occurred_at >= c.valid_from AND a.occurred_at < c.valid_to
  WHERE a.tenant_id = %(tenant)s AND a.occurred_at >= %(start)s AND a.occurred_at < %(end)s
    AND l.customer_id IS NOT NULL
),
ranked AS (
  SELECT *, row_number() OVER (
      PARTITION BY customer_id, product_id, person_key, action_type, engagement_level
      ORDER BY occurred_at, id) AS rn
  FROM valued
),
running AS (
  SELECT customer_id, product_id, value, cap, rn,
         coalesce(sum(value) FILTER (WHERE rn = 1) OVER (
             PARTITION BY customer_id, product_id, person_key ORDER BY occurred_at, id
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM ranked
)
SELECT customer_id, product_id, count(*)::bigint, sum(value)::bigint,
       sum(CASE WHEN rn = 1 THEN greatest(0, least(value, cap - before)) ELSE 0 END)::bigint,
       sum(CASE WHEN rn > 1 THEN value ELSE 0 END)::bigint,
       sum(CASE WHEN rn = 1 THEN value - greatest(0, least(value, cap - before))
                ELSE 0 END)::bigint
FROM running
GROUP BY customer_id, product_id
"""


def bench_tenant():
    """The bench tenant with its 1,000,000 actions (created once, then reused)."""
    from apps.leads.models import LeadAction
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=SLUG).first()
    wanted = LEADS * ACTIONS_PER_LEAD
    if tenant is not None and LeadAction.objects.for_tenant(tenant).count() == wanted:
        print(f"reusing {SLUG}: {wanted:,} actions")
        return tenant
    if tenant is not None:
        drop_tenant(tenant)
    tenant = Tenant.objects.create(name="Bench pay-per-lead", slug=SLUG)
    started = time.perf_counter()
    print(f"generating {LEADS:,} leads and {wanted:,} actions for {SLUG} …", flush=True)
    generate(tenant)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return tenant


def drop_tenant(tenant) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "billing_billingline",
            "billing_billingreport",
            "billing_billingperiod",
            "billing_ratecard",
            "leads_timelineentry",
            "leads_leadaction",
            "leads_lead",
            "leads_customer",
            "leads_product",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("DELETE FROM tenants_tenant WHERE id = %s", [tenant.pk])


def generate(tenant) -> None:
    from django.db import connection, transaction

    from apps.leads.ingestion import writer
    from apps.leads.models import Customer, Product
    from apps.payperlead.models import RateCard

    rng = random.Random(20240401)
    now = datetime.now(UTC)
    with transaction.atomic():
        customers = Customer.objects.bulk_create(
            Customer(tenant=tenant, external_ref=f"customer-{i}", name=f"Customer {i}")
            for i in range(CUSTOMERS)
        )
        products = Product.objects.bulk_create(
            Product(tenant=tenant, external_ref=f"product-{i}", name=f"Product {i}")
            for i in range(PRODUCTS)
        )
        for version, (lead_type, start, end, high, medium, low, cap) in enumerate(CARDS):
            RateCard.objects.create(
                tenant=tenant,
                lead_type=lead_type,
                version=1 if lead_type else version + 1,
                valid_from=start,
                valid_to=end,
                currency="USD",
                value_high=high,
                value_medium=medium,
                value_low=low,
                cap=cap,
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('leads_lead', 'id')) "
                "FROM generate_series(1, %s)",
                [LEADS],
            )
            lead_ids = [row[0] for row in cursor.fetchall()]
        lead_rows, action_rows = [], []
        for i, lead_id in enumerate(lead_ids):
            customer = customers[i % CUSTOMERS].pk
            product = products[(i // CUSTOMERS) % PRODUCTS].pk
            person = f"e:person{i % 70001}@example.com"
            created = APRIL + timedelta(seconds=rng.randrange(SECONDS_IN_APRIL // 2))
            lead_rows.append(
                (
                    lead_id,
                    tenant.pk,
                    person,
                    f"{customer}:{product}:{person}",
                    f"lead-{i}",
                    f"Person {i}",
                    person[2:],
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "new",
                    "api",
                    rng.choice(LEAD_TYPES),
                    product,
                    customer,
                    None,
                    None,
                    False,
                    None,
                    False,
                    None,
                    "",
                    [],
                    created,
                    now,
                )
            )
            for _k in range(ACTIONS_PER_LEAD):
                at = APRIL + timedelta(seconds=rng.randrange(SECONDS_IN_APRIL))
                level = rng.choices(LEVELS, weights=(4, 3, 3))[0]
                action_rows.append(
                    (tenant.pk, lead_id, rng.choice(ACTION_TYPES), level, at, "api", {}, now)
                )
        columns = ("id", *writer.LEAD_COLUMNS)
        from apps.leads.models import Lead, LeadAction

        writer._copy("leads_lead", columns, writer._types(Lead, columns), lead_rows)
        # The natural key (lead, type, level, time) is unique: drop the rare random repeats.
        seen, unique_rows = set(), []
        for row in action_rows:
            key = (row[1], row[2], row[3], row[4])
            if key not in seen:
                seen.add(key)
                unique_rows.append(row)
        while len(unique_rows) < len(action_rows):  # top up to exactly LEADS × 10
            lead_id = lead_ids[rng.randrange(LEADS)]
            at = APRIL + timedelta(seconds=rng.randrange(SECONDS_IN_APRIL))
            row = (tenant.pk, lead_id, "Call", "High", at, "api", {}, now)
            if (lead_id, "Call", "High", at) not in seen:
                seen.add((lead_id, "Call", "High", at))
                unique_rows.append(row)
        writer._copy(
            "leads_leadaction",
            writer.ACTION_COLUMNS,
            writer._types(LeadAction, writer.ACTION_COLUMNS),
            unique_rows,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("ANALYZE leads_leadaction")


def yardstick(tenant) -> tuple[float, dict]:
    from django.db import connection, transaction

    from apps.payperlead.models import month_bounds

    start, end = month_bounds(PERIOD)
    cards = ", ".join(
        f"('{lt}', '{vf.isoformat()}'::timestamptz, "
        f"'{vt.isoformat() if vt else 'infinity'}'::timestamptz, {h}, {m}, {lo}, {cap})"
        for lt, vf, vt, h, m, lo, cap in CARDS
    )
    sql = YARDSTICK_SQL.format(cards=cards)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(sql, {"tenant": tenant.pk, "start": start, "end": end})
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    return seconds, {(c, p): list(rest) for c, p, *rest in rows}


def engine(tenant) -> tuple[float, dict]:
    from apps.payperlead.services import report_compute_all

    started = time.perf_counter()
    reports = report_compute_all(tenant=tenant, period=PERIOD)
    seconds = time.perf_counter() - started
    totals = {}
    for item in reports:
        for product in item.record.products:
            totals[(item.customer.pk, product["product_id"])] = [
                product["actions_count"],
                product["gross"],
                product["billed"],
                product["savings_duplicate"],
                product["savings_cap"],
            ]
    return seconds, totals


def check(engine_totals: dict, yardstick_totals: dict) -> str:
    """Per customer and product, every total equal to the cent; returns a printable summary."""
    assert engine_totals.keys() == yardstick_totals.keys(), "different customer/product sets"
    for key, expected in yardstick_totals.items():
        assert engine_totals[key] == expected, f"{key}: engine {engine_totals[key]} vs {expected}"
    overall = [sum(values[i] for values in engine_totals.values()) for i in range(5)]
    actions, gross, billed, duplicate, cap = overall
    assert gross == billed + duplicate + cap
    return (
        f"{len(engine_totals)} customer×product totals agree to the cent: {actions:,} actions, "
        f"gross {gross / 100:,.2f}, billed {billed / 100:,.2f}, saved duplicates "
        f"{duplicate / 100:,.2f}, saved cap {cap / 100:,.2f} USD"
    )


def main() -> int:
    prepare_database()
    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    tenant = bench_tenant()
    engine(tenant)  # warm the buffer pool for both sides
    yardstick(tenant)
    engine_times, yardstick_times = [], []
    for _run in range(RUNS):
        seconds, engine_totals = engine(tenant)
        engine_times.append(seconds)
        seconds, yardstick_totals = yardstick(tenant)
        yardstick_times.append(seconds)
    print("check: " + check(engine_totals, yardstick_totals))
    report(
        "billing_report: April report of 1,000,000 actions / 100,000 leads / 50 customers, s",
        figure="report_compute_all (stream + Python valuation + 50 report rows)",
        figure_summary=Summary.of(engine_times),
        yardstick="one SQL query with window functions computing the same totals",
        yardstick_summary=Summary.of(yardstick_times),
        unit="s",
        goal="≤ 2× the hand SQL, totals equal to the cent",
        goal_met=statistics.median(engine_times) <= 2 * statistics.median(yardstick_times),
        note=f"both with work_mem {WORK_MEM}; totals checked to the cent",
    )
    one_customer(tenant)
    return 0


def one_customer(tenant) -> None:
    """For information: one customer's report with every line, as the API and dashboard ask."""
    from apps.leads.models import Customer
    from apps.payperlead.services import report_compute

    customer = Customer.objects.for_tenant(tenant).order_by("pk").first()
    times, lines = [], 0
    for _run in range(3):
        started = time.perf_counter()
        lines = len(report_compute(tenant=tenant, customer=customer, period=PERIOD).lines)
        times.append(time.perf_counter() - started)
    print(
        f"  info       one customer's report with its {lines:,} lines (report_compute): "
        f"median {sorted(times)[1]:.3f} s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
