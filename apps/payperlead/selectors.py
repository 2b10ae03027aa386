"""Reads of pay-per-lead: the actions to value (in evaluation order), cards, periods, reports.

`action_rows` is the engine's feed. On PostgreSQL it is one ordered query streamed through a
server-side cursor in binary as compact tuples (the big-report path: a million actions without
building a model instance or holding them all); elsewhere the same query through the ORM.
Both yield exactly the same tuples in the same order (tests check it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Collate, Concat, NullIf

from apps.leads.models import Customer, Lead, LeadAction
from apps.payperlead import engine
from apps.payperlead.models import (
    BillingLine,
    BillingPeriod,
    BillingReport,
    PeriodStatus,
    PeriodValuation,
    RateCard,
    month_bounds,
    month_start,
    next_month,
    previous_month,
)

ROW_FIELDS = (
    "id",
    "lead_id",
    "lead__customer_id",
    "lead__product_id",
    "lead__person_key",
    "lead__lead_type",
    "action_type",
    "engagement_level",
    "occurred_at",
)
# Group after group (customer, product, person), each in evaluation order (time, then id).
ROW_ORDER = ("lead__customer_id", "lead__product_id", "lead__person_key", "occurred_at", "id")
_ROWS_SQL = """
SELECT a.id, a.lead_id, l.customer_id, l.product_id, l.person_key, l.lead_type,
       a.action_type, a.engagement_level, a.occurred_at
FROM leads_leadaction a JOIN leads_lead l ON l.id = a.lead_id
WHERE a.tenant_id = %(tenant)s AND l.tenant_id = %(tenant)s
  AND a.occurred_at >= %(start)s AND a.occurred_at < %(end)s
  AND l.customer_id IS NOT NULL {customer} {unsettled}
ORDER BY l.customer_id, l.product_id, l.person_key COLLATE "C", a.occurred_at, a.id
"""
# Settled: billed by a frozen report (an open report's stored lines settle nothing).
_UNSETTLED_SQL = """AND NOT EXISTS (
    SELECT 1 FROM billing_billingline b JOIN billing_billingreport r ON r.id = b.report_id
    WHERE b.tenant_id = %(tenant)s AND b.action_period = %(period)s AND b.action_ref = a.id
      AND r.frozen)"""
# Sorting a month of a big tenant's actions in memory instead of on disk.
REPORT_WORK_MEM = "256MB"
FETCH_SIZE = 20_000


def action_rows(
    tenant, period: date, *, customer_id: int | None = None, unsettled: bool = False
) -> Iterator[tuple]:
    """The period's actions of leads with a customer, as engine rows: group after group
    (customer, product, person), each ordered by (occurred_at, id). `unsettled`: only those
    no frozen report has billed (late actions)."""
    if connection.vendor == "postgresql":
        return _rows_pg(tenant, period, customer_id, unsettled)
    return _rows_orm(tenant, period, customer_id, unsettled)


def _rows_orm(tenant, period, customer_id, unsettled) -> Iterator[tuple]:
    start, end = month_bounds(period)
    query = LeadAction.objects.for_tenant(tenant).filter(
        occurred_at__gte=start, occurred_at__lt=end, lead__customer__isnull=False
    )
    if customer_id is not None:
        query = query.filter(lead__customer_id=customer_id)
    if unsettled:
        settled = BillingLine.objects.for_tenant(tenant).filter(
            action_period=period, action_ref=OuterRef("id"), report__frozen=True
        )
        query = query.filter(~Exists(settled))
    rows = query.order_by(*ROW_ORDER).values_list(*ROW_FIELDS)
    yield from rows.iterator(chunk_size=5000)


def _rows_pg(tenant, period, customer_id, unsettled) -> Iterator[tuple]:
    start, end = month_bounds(period)
    params = {"tenant": tenant.pk, "start": start, "end": end, "period": period}
    customer = ""
    if customer_id is not None:
        customer = "AND l.customer_id = %(customer)s"
        params["customer"] = customer_id
    sql = _ROWS_SQL.format(customer=customer, unsettled=_UNSETTLED_SQL if unsettled else "")
    connection.ensure_connection()
    with transaction.atomic():
        raw = connection.connection
        raw.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        # A cursor is planned for its first 10 % by default; the report reads all of it.
        raw.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        with raw.cursor(name="payperlead_rows", binary=True) as cursor:
            cursor.itersize = FETCH_SIZE
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(FETCH_SIZE):
                yield from batch


def billable_customer_ids(tenant, months: list[date]) -> list[int]:
    """Customers with actions in any of `months` (a superset of those a report bills)."""
    customer_ids: set[int] = set()
    for month in months:
        start, end = month_bounds(month)
        customer_ids.update(
            LeadAction.objects.for_tenant(tenant)
            .filter(occurred_at__gte=start, occurred_at__lt=end, lead__customer__isnull=False)
            .values_list("lead__customer_id", flat=True)
            .distinct()
        )
    return sorted(customer_ids)


def card_book(tenant) -> engine.CardBook:
    return engine.CardBook(card.as_card() for card in RateCard.objects.for_tenant(tenant))


def rate_card_list(tenant):
    return RateCard.objects.for_tenant(tenant).select_related("customer")


def customer_get(tenant, ref: str) -> Customer | None:
    """A customer of the tenant by its reference (seed 002 `customer_id`) or numeric id."""
    customers = Customer.objects.for_tenant(tenant)
    found = customers.filter(external_ref=ref).first()
    if found is None and ref.isdigit():
        found = customers.filter(pk=int(ref)).first()
    return found


def customers_by_id(tenant, ids) -> dict[int, Customer]:
    return {c.pk: c for c in Customer.objects.for_tenant(tenant).filter(pk__in=set(ids))}


def customer_list(tenant):
    return Customer.objects.for_tenant(tenant).order_by("name", "pk")


def period_get(tenant, period: date) -> BillingPeriod | None:
    return BillingPeriod.objects.for_tenant(tenant).filter(month=period).first()


def period_is_closed(tenant, period: date) -> bool:
    return (
        BillingPeriod.objects.for_tenant(tenant)
        .filter(month=period, status=PeriodStatus.CLOSED)
        .exists()
    )


def closed_months(tenant) -> set[date]:
    return set(
        BillingPeriod.objects.for_tenant(tenant)
        .filter(status=PeriodStatus.CLOSED)
        .values_list("month", flat=True)
    )


def feeding_periods(period: date, closed: set[date]) -> list[date]:
    """The closed months whose late actions an open `period` bills as adjustments: the run of
    closed months right before it (earlier ones feed the open month after them)."""
    out = []
    month = previous_month(period)
    while month in closed:
        out.append(month)
        month = previous_month(month)
    return sorted(out)


def adjustment_target(period: date, closed: set[date]) -> date:
    """The open month that bills a closed month's late actions: the first open one after it."""
    month = next_month(period)
    while month in closed:
        month = next_month(month)
    return month


def settled_lines(tenant, periods: list[date], customer_id: int | None = None):
    """Lines of frozen reports for actions of `periods` (the state late actions follow)."""
    lines = BillingLine.objects.for_tenant(tenant).filter(
        action_period__in=periods, report__frozen=True
    )
    if customer_id is not None:
        lines = lines.filter(report__customer_id=customer_id)
    return lines.only(
        "action_ref",
        "action_period",
        "report__customer_id",
        "product_id",
        "person_key",
        "action_type",
        "engagement",
        "occurred_at",
        "billed",
        "reason",
    ).select_related("report")


def frozen_report(tenant, customer_id: int, period: date) -> BillingReport | None:
    return (
        BillingReport.objects.for_tenant(tenant)
        .filter(customer_id=customer_id, period=period, frozen=True)
        .first()
    )


def frozen_reports(tenant, period: date):
    return BillingReport.objects.for_tenant(tenant).filter(period=period, frozen=True)


def report_lines(report: BillingReport, group: tuple[int | None, int | None] | None = None):
    """A stored report's lines; those of one (product id, lead id) when `group` is given (a
    None id matches the lines whose product or lead is gone or was never set)."""
    lines = BillingLine.objects.for_tenant(report.tenant).filter(report=report)
    if group is not None:
        product_id, lead_id = group
        lines = lines.filter(product_id=product_id, lead_id=lead_id)
    return lines.select_related("card").order_by("adjustment", "occurred_at", "action_ref")


def stored_report(tenant, customer_id: int, period: date) -> BillingReport | None:
    """The report stored for a customer's month (open or frozen)."""
    return (
        BillingReport.objects.for_tenant(tenant)
        .filter(customer_id=customer_id, period=period)
        .first()
    )


def stored_reports(tenant, period: date):
    return BillingReport.objects.for_tenant(tenant).filter(period=period)


def period_valuation(tenant, period: date) -> PeriodValuation | None:
    return PeriodValuation.objects.for_tenant(tenant).filter(month=period).first()


def has_actions(tenant, period: date) -> bool:
    start, end = month_bounds(period)
    return (
        LeadAction.objects.for_tenant(tenant)
        .filter(occurred_at__gte=start, occurred_at__lt=end, lead__customer__isnull=False)
        .exists()
    )


def lead_groups(report: BillingReport):
    """Per (product, lead) of a stored report: its line count and amounts summed in the
    database, with the lead's label, in the drill-down's order (product, the
    lead's label in code-point order as Python sorts it, deleted leads last, lead id). A
    queryset: the drill-down counts and slices it, so a page reads twenty groups, not all."""
    lead = Lead.objects.for_tenant(report.tenant).filter(pk=OuterRef("lead_id"))
    return (
        BillingLine.objects.for_tenant(report.tenant)
        .filter(report=report)
        .values("product_id", "lead_id")
        .annotate(
            lines=Count("id"),
            gross=Sum("value"),
            billed=Sum("billed"),
            savings=Sum("savings"),
            lead_type=Min("lead_type"),
            # None: the lead is deleted. Collated inside: ordered by the annotation itself,
            # which keeps it out of the GROUP BY (an expression over it would not be).
            label=_PerGroup(
                lead.values(label=Collate(_LEAD_LABEL, _CODE_POINT_ORDER[connection.vendor]))[:1]
            ),
        )
        .order_by(
            Coalesce("product_id", 0),
            F("label").asc(nulls_last=True),
            Coalesce("lead_id", 0),
        )
    )


class _PerGroup(Subquery):
    """A subquery that reads only grouping columns (the lead's id): left out of the GROUP BY,
    so it runs once per group (2,000 leads) instead of once per line (20,000), and not at all
    in the paginator's count."""

    def get_group_by_cols(self):
        return []


# What presenters.LeadGroup.label shows of a lead that still exists.
_LEAD_LABEL = Coalesce(
    NullIf("name", Value("")),
    NullIf("external_id", Value("")),
    Concat(Value("#"), Cast("id", CharField())),
    output_field=CharField(),
)
# Collations comparing strings as Python does (by code point; UTF-8 bytes sort the same).
_CODE_POINT_ORDER = {"postgresql": "C", "sqlite": "BINARY"}


def activity_months(tenant) -> list[date]:
    """Every month from the tenant's first action to its last (for the period picker)."""
    bounds = LeadAction.objects.for_tenant(tenant).aggregate(
        first=Min("occurred_at"), last=Max("occurred_at")
    )
    if bounds["first"] is None:
        return []
    months, month, last = [], month_start(bounds["first"]), month_start(bounds["last"])
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def leads_by_id(tenant, ids) -> dict[int, Lead]:
    return {
        lead.pk: lead
        for lead in Lead.objects.for_tenant(tenant)
        .filter(pk__in=set(ids))
        .only("pk", "external_id", "name", "email", "phone", "lead_type")
    }


REF_CHUNK = 10_000


def lead_refs(tenant, lead_ids) -> dict[int, str]:
    """{lead id: its external reference} of these leads (those without one left out), read
    in chunks of ids."""
    ids = sorted(i for i in lead_ids if i is not None)
    refs: dict[int, str] = {}
    for start in range(0, len(ids), REF_CHUNK):
        chunk = ids[start : start + REF_CHUNK]
        rows = Lead.objects.for_tenant(tenant).filter(pk__in=chunk).exclude(external_id="")
        refs.update(rows.values_list("pk", "external_id"))
    return refs
