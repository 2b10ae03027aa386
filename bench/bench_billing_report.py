"""The pay-per-lead refresh of a big tenant's April vs hand-written SQL doing the same work.

Data: one tenant with 100,000 leads over 50 customers and 20 products, 1,000,000 actions in
April 2024 (10 per lead, drawn from 8 action types × 3 engagement levels, so duplicates are
common), three lead types — "Social Media" with a card of its own (cap 30.00), "Website Visit"
and "Referral" on the tenant default, whose prices change on April 15 (cap 50.00 in both
versions, so many people hit it). Generated once with binary COPY and reused
(slug `bench-ppl-1m`).

Two figures, each against a yardstick run in the same rounds:

1. The refresh that runs after each ingestion (`period_refresh`), when the stored lines are
   still right for most customers — here all of them: every customer's month streamed and
   valued in Python, compared with the stored lines' fingerprints, 50 report rows saved.
   Yardstick: one SQL query valuing every line with window functions (row_number for
   duplicates, a running sum of first occurrences for the cap; the cards written into it as
   VALUES) and comparing it with the stored line, with the totals per customer and product.
   The totals must agree to the cent, and no stored line may differ. Target ≤ 2×.
2. The refresh that writes every line (a month valued for the first time, or after a card
   change: the fingerprints are cleared first): the same, plus deleting and writing the
   1,000,000 lines. Yardstick: one DELETE and one INSERT … SELECT of the same window query,
   each line valued in SQL, into the same table with the same indexes and constraints; its
   lines must sum to the engine's totals. Target ≤ 2×.

Standalone: `.venv/bin/python bench/bench_billing_report.py` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/fastlead_bench, is created and migrated if needed).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from _common import Summary, report, setup_django, vacuum_analyze
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

# Every line valued in SQL: the cards (with their ids) as VALUES, duplicates by row_number,
# the cap by a running sum of first occurrences.
LINES_SQL = """
WITH card(id, version, lead_type, valid_from, valid_to, high, medium, low, cap) AS (
  VALUES {cards}),
valued AS (
  SELECT l.customer_id, l.product_id, l.person_key, l.id AS lead_id, l.external_id AS lead_ref,
         l.lead_type, a.id, a.occurred_at, a.action_type, a.engagement_level,
         CASE a.engagement_level WHEN 'High' THEN c.high WHEN 'Medium' THEN c.medium
                                 WHEN 'Low' THEN c.low END AS value,
         c.cap, c.id AS card_id, c.version AS card_version, c.lead_type = '' AS default_card
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
  SELECT *, row_number() OVER same AS rn, first_value(id) OVER same AS first_id
  FROM valued
  WINDOW same AS (PARTITION BY customer_id, product_id, person_key, action_type,
                               engagement_level ORDER BY occurred_at, id)
),
running AS (
  SELECT *, coalesce(sum(value) FILTER (WHERE rn = 1) OVER (
             PARTITION BY customer_id, product_id, person_key ORDER BY occurred_at, id
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM ranked
),
lined AS (
  SELECT *, CASE WHEN rn = 1 THEN greatest(0, least(value, cap - before)) ELSE 0 END AS billed
  FROM running
)
"""

YARDSTICK_WRITE_SQL = (
    LINES_SQL
    + """
INSERT INTO billing_billingline (
  tenant_id, report_id, lead_id, lead_ref, action_id, action_ref, product_id, person_key,
  lead_type, action_type, engagement, occurred_at, action_period, value, billed, savings,
  reason, duplicate_of_id, duplicate_of_ref, billed_before, card_id, card_version,
  default_card, adjustment)
SELECT %(tenant)s, r.id, x.lead_id, x.lead_ref, x.id, x.id, x.product_id, x.person_key,
       x.lead_type, x.action_type, x.engagement_level, x.occurred_at, %(period)s, x.value,
       x.billed, x.value - x.billed,
       CASE WHEN x.rn > 1 THEN 'duplicate' WHEN x.billed < x.value THEN 'cap' ELSE 'none' END,
       CASE WHEN x.rn > 1 THEN x.first_id END, CASE WHEN x.rn > 1 THEN x.first_id END,
       least(x.before, x.cap), x.card_id, x.card_version, x.default_card, false
FROM lined x
JOIN billing_billingreport r
  ON r.tenant_id = %(tenant)s AND r.customer_id = x.customer_id AND r.period = %(period)s
 AND NOT r.frozen
"""
)

# The same lines compared with the stored ones (the refresh's fingerprint check, in SQL),
# with the totals per customer and product.
YARDSTICK_COMPARE_SQL = (
    LINES_SQL
    + """
SELECT x.customer_id, x.product_id, count(*)::bigint, sum(x.value)::bigint,
       sum(x.billed)::bigint,
       sum(CASE WHEN x.rn > 1 THEN x.value ELSE 0 END)::bigint,
       sum(CASE WHEN x.rn = 1 THEN x.value - x.billed ELSE 0 END)::bigint,
       count(*) FILTER (WHERE b.id IS NULL OR b.value <> x.value OR b.billed <> x.billed
                        OR b.lead_ref <> x.lead_ref OR b.person_key <> x.person_key)
FROM lined x
LEFT JOIN billing_billingline b
  ON b.tenant_id = %(tenant)s AND b.action_period = %(period)s AND b.action_ref = x.id
 AND NOT b.adjustment
GROUP BY x.customer_id, x.product_id
"""
)


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


def _cards_values(tenant) -> str:
    from apps.payperlead.models import RateCard

    rows = []
    for card in RateCard.objects.for_tenant(tenant).order_by("pk"):
        valid_to = card.valid_to.isoformat() if card.valid_to else "infinity"
        rows.append(
            f"({card.pk}, {card.version}, '{card.lead_type}', "
            f"'{card.valid_from.isoformat()}'::timestamptz, '{valid_to}'::timestamptz, "
            f"{card.value_high}, {card.value_medium}, {card.value_low}, {card.cap})"
        )
    return ", ".join(rows)


def yardstick(tenant) -> tuple[float, dict, int]:
    """Value every line in SQL and compare it with the stored line; returns the time, the
    totals per customer and product, and how many lines differ."""
    from django.db import connection, transaction

    from apps.payperlead.models import month_bounds

    start, end = month_bounds(PERIOD)
    sql = YARDSTICK_COMPARE_SQL.format(cards=_cards_values(tenant))
    params = {"tenant": tenant.pk, "start": start, "end": end, "period": PERIOD}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    totals = {(c, p): list(rest[:5]) for c, p, *rest in rows}
    return seconds, totals, sum(row[-1] for row in rows)


def yardstick_write(tenant) -> tuple[float, dict]:
    """Delete the month's stored lines and value and insert every line again in SQL, in one
    transaction; returns the time and the billed total per customer read from the lines."""
    from django.db import connection, transaction

    from apps.payperlead.models import month_bounds

    start, end = month_bounds(PERIOD)
    sql = YARDSTICK_WRITE_SQL.format(cards=_cards_values(tenant))
    params = {"tenant": tenant.pk, "start": start, "end": end, "period": PERIOD}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(
            "DELETE FROM billing_billingline b USING billing_billingreport r "
            "WHERE b.report_id = r.id AND r.tenant_id = %(tenant)s AND r.period = %(period)s",
            params,
        )
        cursor.execute(sql, params)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.customer_id, sum(b.billed)::bigint FROM billing_billingline b "
            "JOIN billing_billingreport r ON r.id = b.report_id "
            "WHERE r.tenant_id = %(tenant)s AND r.period = %(period)s GROUP BY r.customer_id",
            params,
        )
        billed = dict(cursor.fetchall())
    return seconds, billed


def engine(tenant, *, rewrite: bool) -> tuple[float, dict]:
    """`period_refresh` of April, then the stored totals; `rewrite` clears the lines'
    fingerprints first, so that every customer's lines are deleted and written anew."""
    from apps.payperlead.models import BillingReport
    from apps.payperlead.services import period_refresh, reports_read

    if rewrite:
        BillingReport.objects.for_tenant(tenant).filter(period=PERIOD).update(lines_digest="")
    started = time.perf_counter()
    period_refresh(tenant=tenant, period=PERIOD)
    seconds = time.perf_counter() - started
    totals = {}
    for item in reports_read(tenant, PERIOD):
        for product in item.record.products:
            totals[(item.customer.pk, product["product_id"])] = [
                product["actions_count"],
                product["gross"],
                product["billed"],
                product["savings_duplicate"],
                product["savings_cap"],
            ]
    return seconds, totals


def vacuumed() -> None:
    """After each rewrite of every line (outside the timings), as autovacuum would do long
    before the next refresh of a month: the next rewrite reuses the space. Without it, a
    whole `make bench` left the lines table at 2.9 GB for 1,000,000 live lines (11,000,000
    dead), and the pay-per-lead read benches after this one read through that."""
    vacuum_analyze("billing_billingline")


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
    engine(tenant, rewrite=True)  # the stored lines, and a warm buffer pool for both sides
    yardstick(tenant)
    times: dict[str, list[float]] = {"write": [], "steady": [], "sql": [], "sql_write": []}
    for _run in range(RUNS):
        seconds, _totals = engine(tenant, rewrite=True)
        times["write"].append(seconds)
        vacuumed()
        seconds, engine_totals = engine(tenant, rewrite=False)
        times["steady"].append(seconds)
        seconds, yardstick_totals, differing = yardstick(tenant)
        times["sql"].append(seconds)
        assert differing == 0, f"{differing:,} stored lines differ from the SQL valuation"
        seconds, sql_billed = yardstick_write(tenant)
        times["sql_write"].append(seconds)
        vacuumed()
    print("check: " + check(engine_totals, yardstick_totals))
    print("check: every stored line has the value, amount billed and lead the SQL gives it")
    engine_billed: dict[int, int] = {}
    for (customer_id, _product), values in engine_totals.items():
        engine_billed[customer_id] = engine_billed.get(customer_id, 0) + values[2]
    assert sql_billed == engine_billed, "the SQL-written lines bill other amounts"
    print("check: the lines written by SQL bill each customer what the engine bills")
    engine(tenant, rewrite=True)  # leave the engine's lines stored
    vacuumed()
    _report_pair(
        "billing_report: April refresh, lines unchanged (1,000,000 actions / 50 customers), s",
        "period_refresh: stream + Python valuation + fingerprints + 50 report rows",
        times["steady"],
        "one SQL query valuing every line and comparing it with the stored line, with totals",
        times["sql"],
        "totals checked to the cent",
    )
    _report_pair(
        "billing_report: April refresh writing every line (1,000,000 lines), s",
        "period_refresh after a card change: valuation + DELETE + COPY of every line",
        times["write"],
        "DELETE + one INSERT … SELECT valuing every line in SQL, same table",
        times["sql_write"],
        "the SQL lines bill each customer the engine's total",
    )
    one_customer(tenant)
    return 0


def _report_pair(name, figure, figure_times, yardstick_name, yardstick_times, checked) -> None:
    report(
        name,
        figure=figure,
        figure_summary=Summary.of(figure_times),
        yardstick=yardstick_name,
        yardstick_summary=Summary.of(yardstick_times),
        unit="s",
        goal="≤ 2× the hand SQL",
        goal_met=statistics.median(figure_times) <= 2 * statistics.median(yardstick_times),
        note=f"both with work_mem {WORK_MEM}; {checked}",
    )


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
