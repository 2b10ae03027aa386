"""Writes of pay-per-lead: computing reports and closing a period (rate card versions live in
cards.py and are re-exported here, so every write is `services.<entity>_<verb>`).

A report of an open period is recomputed whenever it is asked for: its totals are saved (the
`BillingReport` row) and its lines come back in memory with it. Closing a period computes its
reports one last time, stores every line and freezes them; nothing recomputes a frozen report.
An action that arrives later for a closed period is valued after everything that period billed
(same groups, same cap, same duplicates) and billed in the first open period after it, as an
adjustment line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, Conflict
from apps.leads.models import Customer, Product
from apps.payperlead import engine, selectors
from apps.payperlead.cards import (  # noqa: F401 - re-exported
    rate_card_ensure_default,
    rate_card_publish,
)
from apps.payperlead.models import (
    DEFAULT_CARD,
    BillingLine,
    BillingPeriod,
    BillingReport,
    PeriodStatus,
    month_bounds,
    month_start,
)

TOTAL_FIELDS = ("actions_count", "gross", "billed", "savings_duplicate", "savings_cap")
LINE_BATCH = 2000
# Not seed 001 domain events (apps/core/events.py): plain structured log lines, ids only.
logger = structlog.get_logger("fastlead.billing.payperlead")


class ReportError(ApplicationError):
    status_code = 422
    default_code = "report_invalid"


@dataclass
class Report:
    """A customer's report for a period: the saved (or empty, unsaved) totals row, and its
    lines when they were asked for (engine lines, whether computed now or read back frozen)."""

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


def _book(tenant) -> engine.CardBook:
    rate_card_ensure_default(tenant)
    return selectors.card_book(tenant)


# ------------------------------------------------------------------------------------ reports


def report_compute(*, tenant, customer: Customer, period: date) -> Report:
    """The customer's report for `period`, with its lines: recomputed (and its totals saved)
    while the period is open, read back as frozen once it is closed."""
    period = month_start(period)
    closed = selectors.closed_months(tenant)
    if period not in closed:
        own, adjust = _valuate(tenant, period, closed, customer_id=customer.pk, keep_lines=True)
        saved = _save_open(tenant, period, own, adjust, {customer.pk: customer})
        if saved is not None:
            record = saved.get(customer.pk) or _empty(tenant, customer, period, frozen=False)
            lines = [ln for ln in [*own.lines, *adjust.lines] if ln.customer_id == customer.pk]
            return _report(tenant, record, customer, lines)
    return frozen_report_of(tenant, customer, period)


def report_compute_all(*, tenant, period: date) -> list[Report]:
    """Every customer's report for `period` (totals only, no lines), in one pass over the
    period's actions: the big-report path."""
    period = month_start(period)
    closed = selectors.closed_months(tenant)
    if period not in closed:
        own, adjust = _valuate(tenant, period, closed, customer_id=None, keep_lines=False)
        customers = selectors.customers_by_id(tenant, _customer_ids(own, adjust))
        saved = _save_open(tenant, period, own, adjust, customers, prune=True)
        if saved is not None:
            return _reports(tenant, saved.values(), customers)
    records = list(selectors.frozen_reports(tenant, period))
    customers = selectors.customers_by_id(tenant, [r.customer_id for r in records])
    return _reports(tenant, records, customers)


def period_close_check(period: date) -> date:
    """The month to close, or Conflict if it is not over yet (checked before queueing)."""
    period = month_start(period)
    if month_bounds(period)[1] > timezone.now():
        raise Conflict(
            _("%(month)s is not over yet.") % {"month": f"{period:%Y-%m}"}, code="period_not_over"
        )
    return period


def period_close_later(*, tenant, actor, period: date) -> date:
    """Queue the close of `period` after the caller's commit (the dashboard): the request
    returns at once, the worker writes the frozen reports."""
    # Same app, at call time: tasks.py imports this module for the task's body.
    from apps.payperlead.tasks import close_billing_period_task

    period = period_close_check(period)
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: close_billing_period_task.delay(str(tenant.pk), period.isoformat(), actor_id)
    )
    return period


def period_close(*, tenant, actor, period: date) -> BillingPeriod:
    """Freeze `period`: compute every customer's report one last time, store its lines and
    refuse any later change. Closing a closed period changes nothing."""
    period = period_close_check(period)
    with transaction.atomic():
        row = _lock_period(tenant, period)
        if row.is_closed:
            return row
        closed = selectors.closed_months(tenant)
        BillingReport.objects.for_tenant(tenant).filter(period=period, frozen=False).delete()
        months = [period, *selectors.feeding_periods(period, closed)]
        # One customer at a time: memory holds one customer's lines, and each frozen report's
        # totals come from the very lines stored with it.
        for customer_id in selectors.billable_customer_ids(tenant, months):
            own, adjust = _valuate(tenant, period, closed, customer_id=customer_id, keep_lines=True)
            if not own.totals and not adjust.totals:
                continue
            customers = selectors.customers_by_id(tenant, [customer_id])
            records = _write_reports(tenant, period, own, adjust, customers, frozen=True)
            _write_lines(tenant, period, records, [*own.lines, *adjust.lines])
        row.status, row.closed_at, row.closed_by = PeriodStatus.CLOSED, timezone.now(), actor
        row.save(update_fields=["status", "closed_at", "closed_by"])
    logger.info("billing_period_closed", tenant_id=str(tenant.pk), period=f"{period:%Y-%m}")
    return row


def _valuate(tenant, period, closed, *, customer_id, keep_lines):
    """The period's own actions, then the late actions of the closed months it bills."""
    book = _book(tenant)
    try:
        own = engine.valuate(
            selectors.action_rows(tenant, period, customer_id=customer_id),
            book,
            keep_lines=keep_lines,
        )
        adjust = engine.Valuation()
        for month in selectors.feeding_periods(period, closed):
            late = list(
                selectors.action_rows(tenant, month, customer_id=customer_id, unsettled=True)
            )
            if late:
                groups = engine.groups_from_lines(_settled(tenant, month, customer_id))
                engine.valuate(
                    late, book, groups=groups, keep_lines=keep_lines, adjustment=True, into=adjust
                )
        _check_currency(tenant, own, adjust, period)
    except engine.NoCard as exc:
        raise ReportError(
            _("No rate card is in force for some actions: %(detail)s") % {"detail": exc},
            code="no_rate_card",
        ) from None
    return own, adjust


def _settled(tenant, month, customer_id) -> list[engine.Settled]:
    return [
        engine.Settled(
            line.action_ref,
            line.report.customer_id,
            line.product_id,
            line.person_key,
            line.action_type,
            line.engagement,
            line.occurred_at,
            line.billed,
            line.reason,
        )
        for line in selectors.settled_lines(tenant, [month], customer_id)
    ]


def _check_currency(tenant, own, adjust, period) -> None:
    for customer_id in set(own.currencies) | set(adjust.currencies):
        currencies = own.currencies.get(customer_id, set()) | adjust.currencies.get(
            customer_id, set()
        )
        if len(currencies) > 1:
            customer = Customer.objects.for_tenant(tenant).filter(pk=customer_id).first()
            raise ReportError(
                _(
                    "The rate cards for %(customer)s in %(month)s are in different currencies "
                    "(%(currencies)s); a report is in one currency. Publish that customer's "
                    "cards in one currency."
                )
                % {
                    "customer": customer.external_ref if customer else customer_id,
                    "month": f"{period:%Y-%m}",
                    "currencies": ", ".join(sorted(currencies)),
                },
                code="currency_mismatch",
            )


def _customer_ids(*valuations: engine.Valuation) -> set[int]:
    return {customer_id for v in valuations for customer_id, _product in v.totals}


def _lock_period(tenant, period: date) -> BillingPeriod:
    BillingPeriod.objects.bulk_create(
        [BillingPeriod(tenant=tenant, month=period)], ignore_conflicts=True
    )
    return BillingPeriod.objects.for_tenant(tenant).select_for_update().get(month=period)


def _save_open(tenant, period, own, adjust, customers, *, prune=False):
    """Save the open period's totals; None if the period was closed meanwhile (the caller
    then reads the frozen report)."""
    with transaction.atomic():
        if _lock_period(tenant, period).is_closed:
            return None
        records = _write_reports(tenant, period, own, adjust, customers, frozen=False)
        stale = BillingReport.objects.for_tenant(tenant).filter(period=period, frozen=False)
        stale = stale.exclude(customer_id__in=list(records))
        if not prune:
            stale = stale.filter(customer_id__in=list(customers))
        stale.delete()
    return records


def _write_reports(tenant, period, own, adjust, customers, *, frozen: bool) -> dict:
    now = timezone.now()
    records = {}
    products = _products_of(tenant, own, adjust)
    for customer_id in sorted(_customer_ids(own, adjust)):
        record = build_record(period, customer_id, own, adjust, products)
        record.tenant = tenant
        record.computed_at = now
        record.frozen, record.frozen_at = frozen, (now if frozen else None)
        records[customer_id] = record
    if not records:
        return {}
    update = [
        "currency",
        *TOTAL_FIELDS,
        "unpriced_count",
        "adjustments",
        "products",
        "default_card_lead_types",
        "computed_at",
        "frozen",
        "frozen_at",
    ]
    BillingReport.objects.bulk_create(
        list(records.values()),
        update_conflicts=True,
        unique_fields=["tenant", "customer", "period"],
        update_fields=update,
    )
    if frozen or any(r.pk is None for r in records.values()):
        ids = dict(
            BillingReport.objects.for_tenant(tenant)
            .filter(period=period, customer_id__in=list(records))
            .values_list("customer_id", "pk")
        )
        for customer_id, record in records.items():
            record.pk = ids[customer_id]
    return records


def _products_of(tenant, *valuations: engine.Valuation) -> dict[int, Product]:
    ids = {pid for v in valuations for _cid, pid in v.totals if pid is not None}
    return {p.pk: p for p in Product.objects.for_tenant(tenant).filter(pk__in=ids)}


def build_record(period, customer_id, own, adjust, products: dict[int, Product]) -> BillingReport:
    """A customer's (unsaved) report row from valuations: totals overall, per product and of
    the adjustments. No database access (the in-memory command uses it too)."""
    totals_by_product: dict = {}
    for valuation in (own, adjust):
        for (cid, product_id), bucket in valuation.totals.items():
            if cid == customer_id:
                into = totals_by_product.setdefault(product_id, engine.new_totals())
                for i, amount in enumerate(bucket):
                    into[i] += amount
    total = engine.sum_totals(totals_by_product.values())
    adjusted = engine.sum_totals(
        bucket for (cid, _p), bucket in adjust.totals.items() if cid == customer_id
    )
    currencies = own.currencies.get(customer_id, set()) | adjust.currencies.get(customer_id, set())
    default_types = own.default_card_types.get(customer_id, set()) | (
        adjust.default_card_types.get(customer_id, set())
    )
    return BillingReport(
        customer_id=customer_id,
        period=period,
        currency=min(currencies),
        **_totals_fields(total),
        unpriced_count=total[engine.UNPRICED],
        adjustments=_totals_dict(adjusted) if adjusted[engine.ACTIONS] else {},
        products=_product_totals(totals_by_product, products),
        default_card_lead_types=sorted(default_types),
    )


def _totals_fields(total: list[int]) -> dict:
    return {
        "actions_count": total[engine.ACTIONS],
        "gross": total[engine.GROSS],
        "billed": total[engine.BILLED],
        "savings_duplicate": total[engine.SAVED_DUPLICATE],
        "savings_cap": total[engine.SAVED_CAP],
    }


def _totals_dict(total: list[int]) -> dict:
    return {**_totals_fields(total), "unpriced_count": total[engine.UNPRICED]}


def _product_totals(totals_by_product: dict, products: dict[int, Product]) -> list[dict]:
    out = []
    for product_id, total in totals_by_product.items():
        product = products.get(product_id)
        out.append(
            {
                "product_id": product_id,
                "product_ref": product.external_ref if product else "",
                "product_name": product.name if product else "",
                **_totals_dict(total),
            }
        )
    return sorted(out, key=lambda p: (p["product_ref"], p["product_id"] or 0))


def _write_lines(tenant, period, records: dict, lines: list[engine.Line]) -> None:
    rows = []
    for line in lines:
        record = records[line.customer_id]
        rows.append(
            BillingLine(
                tenant=tenant,
                report_id=record.pk,
                lead_id=line.lead_id,
                action_id=line.action_id,
                action_ref=line.action_id,
                product_id=line.product_id,
                person_key=line.person_key,
                lead_type=line.lead_type,
                action_type=line.action_type,
                engagement=line.engagement,
                occurred_at=line.occurred_at,
                action_period=month_start(line.occurred_at),
                value=line.value,
                billed=line.billed,
                savings=line.savings,
                reason=line.reason,
                duplicate_of_id=line.duplicate_of,
                duplicate_of_ref=line.duplicate_of,
                billed_before=line.billed_before,
                card_id=line.card.id,
                card_version=line.card.version,
                default_card=line.default_card,
                adjustment=line.adjustment,
            )
        )
    BillingLine.objects.bulk_create(rows, batch_size=LINE_BATCH)


def _empty(tenant, customer, period, *, frozen: bool) -> BillingReport:
    """The report of a customer without actions in the period: zeros, not an error."""
    currency = _currency_at(tenant, customer, month_bounds(period)[0])
    return BillingReport(
        tenant=tenant,
        customer=customer,
        period=period,
        currency=currency,
        computed_at=timezone.now(),
        frozen=frozen,
    )


def _currency_at(tenant, customer, at: datetime) -> str:
    book = _book(tenant)
    try:
        return book.resolve(customer.pk, "", at).currency
    except engine.NoCard:
        return DEFAULT_CARD["currency"]


def frozen_report_of(tenant, customer, period) -> Report:
    """A closed month's report of a customer, with its stored lines (empty if none)."""
    record = selectors.frozen_report(tenant, customer.pk, period)
    if record is None:
        return _report(tenant, _empty(tenant, customer, period, frozen=True), customer, [])
    return _report(tenant, record, customer, frozen_lines(record))


def frozen_lines(record: BillingReport) -> list[engine.Line]:
    """A frozen report's stored lines, as engine lines (one rendering path for both)."""
    cards: dict[int, engine.Card] = {}
    out = []
    for row in selectors.report_lines(record):
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


def _report(tenant, record, customer, lines) -> Report:
    product_ids = {p["product_id"] for p in record.products if p["product_id"] is not None}
    products = {p.pk: p for p in Product.objects.for_tenant(tenant).filter(pk__in=product_ids)}
    return Report(record=record, customer=customer, lines=lines, products=products)


def _reports(tenant, records, customers) -> list[Report]:
    reports = [
        Report(record=r, customer=customers[r.customer_id])
        for r in records
        if r.customer_id in customers
    ]
    return sorted(reports, key=lambda r: (r.customer.name, r.customer.pk))
