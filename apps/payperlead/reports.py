"""Reading stored reports: what pages, the API and downloads show. Nothing here values an
action or writes a row — a GET reads the totals and lines that the last refresh (or the close)
stored, "as of" the moment that refresh began (`PeriodValuation.valued_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from apps.core.errors import ApplicationError
from apps.leads.models import Customer, Product
from apps.payperlead import engine, selectors
from apps.payperlead.models import (
    DEFAULT_CARD,
    BillingReport,
    month_bounds,
    month_start,
)


class ReportError(ApplicationError):
    status_code = 422
    default_code = "report_invalid"


@dataclass
class Report:
    """A customer's report for a period: the stored (or empty, unsaved) totals row, and its
    lines when they were asked for (engine lines, whether computed now or read back)."""

    record: BillingReport
    customer: Customer
    lines: list[engine.Line] | None = None
    products: dict[int, Product] = field(default_factory=dict)

    @property
    def period(self) -> date:
        return self.record.period

    @property
    def frozen(self) -> bool:
        return self.record.frozen


@dataclass(frozen=True)
class Freshness:
    """How current a month's stored reports are: the moment the stored valuation read the
    actions (None: not valued yet) and whether newer actions are waiting for a refresh."""

    as_of: datetime | None
    pending: bool
    closed: bool
    error: str = ""
    error_code: str = ""

    def check(self) -> None:
        """Raise the last refresh's failure (422): its stored reports are out of date."""
        if self.error and not self.closed:
            raise ReportError(self.error, code=self.error_code or None)


def freshness(tenant, period: date) -> Freshness:
    period = month_start(period)
    closed = selectors.period_is_closed(tenant, period)
    state = selectors.period_valuation(tenant, period)
    if closed:
        frozen_at = selectors.period_get(tenant, period).closed_at
        return Freshness(as_of=frozen_at, pending=False, closed=True)
    if state is None:
        return Freshness(as_of=None, pending=selectors.has_actions(tenant, period), closed=False)
    return Freshness(
        as_of=state.valued_at,
        pending=state.pending,
        closed=False,
        error=state.error,
        error_code=state.error_code,
    )


def report_read(tenant, customer: Customer, period: date, *, lines: bool = True) -> Report:
    """A customer's stored report of `period` (zeros when it has none), with its stored lines
    when `lines`."""
    period = month_start(period)
    record = selectors.stored_report(tenant, customer.pk, period)
    if record is None:
        record = empty_record(tenant, customer, period)
        return with_products(tenant, record, customer, [] if lines else None)
    return with_products(tenant, record, customer, stored_lines(record) if lines else None)


def reports_read(tenant, period: date) -> list[Report]:
    """Every customer's stored report of `period` (totals only), by customer name."""
    records = list(selectors.stored_reports(tenant, month_start(period)))
    customers = selectors.customers_by_id(tenant, [r.customer_id for r in records])
    return sort_reports(
        Report(record=r, customer=customers[r.customer_id])
        for r in records
        if r.customer_id in customers
    )


def sort_reports(reports) -> list[Report]:
    return sorted(reports, key=lambda r: (r.customer.name, r.customer.pk))


def stored_lines(record: BillingReport, group=None) -> list[engine.Line]:
    """A stored report's lines as engine lines (one rendering path for stored and computed),
    in reading order; only those of one (product id, lead id) `group` when given (a lead
    opened in the drill-down)."""
    cards: dict[int, engine.Card] = {}
    out = []
    for row in selectors.report_lines(record, group):
        card = cards.get(row.card_id)
        if card is None:
            card = cards[row.card_id] = row.card.as_card()
        out.append(
            engine.Line(
                row.action_ref,
                row.lead_id,
                record.customer_id,
                row.product_id,
                row.person_key,
                row.lead_type,
                row.action_type,
                row.engagement,
                row.occurred_at,
                card,
                row.value,
                row.billed,
                row.savings,
                row.reason,
                row.duplicate_of_ref,
                row.billed_before,
                row.adjustment,
            )
        )
    return out


def empty_record(tenant, customer, period, *, frozen: bool = False) -> BillingReport:
    """The report of a customer without actions in the period: zeros, not an error. Reads the
    cards only (never creates the default one)."""
    try:
        currency = (
            selectors.card_book(tenant).resolve(customer.pk, "", month_bounds(period)[0]).currency
        )
    except engine.NoCard:
        currency = DEFAULT_CARD["currency"]
    return BillingReport(
        tenant=tenant,
        customer=customer,
        period=period,
        currency=currency,
        frozen=frozen,
    )


def with_products(tenant, record, customer, lines) -> Report:
    product_ids = {p["product_id"] for p in record.products if p["product_id"] is not None}
    products = {p.pk: p for p in Product.objects.for_tenant(tenant).filter(pk__in=product_ids)}
    return Report(record=record, customer=customer, lines=lines, products=products)
