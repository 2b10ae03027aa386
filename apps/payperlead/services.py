"""Writes of pay-per-lead: valuing a month and storing its reports, closing a period. Rate
card versions are published by cards.py (publishing queues refreshes, whose task calls this
module); a close is queued by `tasks.period_close_later`.

An open month's reports are stored, lines and all, by a refresh (`period_refresh`) that runs
in the background after actions arrive (refresh.py); pages and the API read what is stored
(reports.py) and never value anything. Closing a period values it one last time, stores
every line and freezes them; nothing revalues a frozen report. An action that arrives later
for a closed period is valued after everything that period billed (same groups, same cap,
same duplicates) and billed in the first open period after it, as an adjustment line.
"""

from __future__ import annotations

from datetime import date

import structlog
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import Conflict
from apps.leads.models import Customer, Product
from apps.payperlead import engine, line_store, selectors
from apps.payperlead.default_card import rate_card_ensure_default
from apps.payperlead.models import (
    BillingLine,
    BillingPeriod,
    BillingReport,
    PeriodStatus,
    PeriodValuation,
    month_bounds,
    month_start,
)
from apps.payperlead.reports import (  # noqa: F401 - re-exported
    Report,
    ReportError,
    empty_record,
    report_read,
    reports_read,
    sort_reports,
    stored_lines,
    with_products,
)

TOTAL_FIELDS = ("actions_count", "gross", "billed", "savings_duplicate", "savings_cap")
# A refresh that wrote at least this many lines refreshes the table's statistics.
ANALYZE_AFTER_LINES = 100_000
# Not seed 001 domain events (apps/core/events.py): plain structured log lines, ids only.
logger = structlog.get_logger("fastlead.billing.payperlead")


def _book(tenant) -> engine.CardBook:
    rate_card_ensure_default(tenant)
    return selectors.card_book(tenant)


# ------------------------------------------------------------------------------------ reports


def report_compute(*, tenant, customer: Customer, period: date) -> Report:
    """Value the customer's `period` now and store its report and lines (an open month), or
    read back the frozen report (a closed one). The write path of the command, the staff
    console and tests; pages and the API read with `report_read`."""
    period = month_start(period)
    with transaction.atomic():
        if not _lock_period(tenant, period).is_closed:
            closed = selectors.closed_months(tenant)
            _store_customer(tenant, period, closed, customer.pk, frozen=False)
    return report_read(tenant, customer, period)


def report_compute_all(*, tenant, period: date) -> list[Report]:
    """Value every customer's `period` now and store it (`period_refresh`), then read the
    stored totals back (no lines)."""
    period_refresh(tenant=tenant, period=period)
    return reports_read(tenant, period)


def period_refresh(*, tenant, period: date) -> bool:
    """Value an open month and store every customer's report and lines, in one transaction
    (readers see the old reports or the new ones, never a mix), then record the moment the
    valuation began reading as its "as of" time. A closed month is left alone (False).
    One customer at a time: memory holds one customer's lines."""
    period = month_start(period)
    try:
        refreshed = _refresh(tenant, period)
    except ReportError as exc:
        _mark_valued(tenant, period, error=exc)
        raise
    if refreshed:
        logger.info("billing_period_refreshed", tenant_id=str(tenant.pk), period=f"{period:%Y-%m}")
    return refreshed


def _refresh(tenant, period: date) -> bool:
    with transaction.atomic():
        row = _lock_period(tenant, period)
        if row.is_closed:
            return False
        began = timezone.now()
        closed = selectors.closed_months(tenant)
        months = [period, *selectors.feeding_periods(period, closed)]
        customer_ids = selectors.billable_customer_ids(tenant, months)
        gone = BillingReport.objects.for_tenant(tenant).filter(period=period, frozen=False)
        gone.exclude(customer_id__in=customer_ids).delete()
        written = sum(
            _store_customer(tenant, period, closed, customer_id, frozen=False)
            for customer_id in customer_ids
        )
        _mark_valued(tenant, period, valued_at=began)
    if written >= ANALYZE_AFTER_LINES:
        _analyze_lines()
    return True


def _analyze_lines() -> None:
    """A refresh can replace a million lines at once, before autovacuum notices: fresh
    statistics keep the readers' plans on the report index (seconds of sampling, once)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {BillingLine._meta.db_table}")


def period_refresh_claim(*, tenant, period: date) -> None:
    """A refresh task took the queued refresh of `period`: later arrivals queue the next."""
    PeriodValuation.objects.for_tenant(tenant).filter(month=month_start(period)).update(
        queued=False
    )


def _mark_valued(tenant, period: date, *, valued_at=None, error: ReportError | None = None):
    """Record a refresh: its "as of" time, or its failure (the stored reports stay)."""
    PeriodValuation.objects.bulk_create(
        [PeriodValuation(tenant=tenant, month=period)], ignore_conflicts=True
    )
    state = PeriodValuation.objects.for_tenant(tenant).filter(month=period)
    if error is not None:
        state.update(error_code=error.code, error=error.message)
    else:
        state.update(valued_at=valued_at, error_code="", error="")


def _store_customer(tenant, period, closed, customer_id: int, *, frozen: bool) -> int:
    """Value one customer's month and store its report (or write the frozen one); its lines
    are rewritten only if they differ from the stored ones. A customer left without actions
    loses its open report. Returns the number of lines written."""
    own, adjust = _valuate(tenant, period, closed, customer_id=customer_id, keep_lines=True)
    mine = BillingReport.objects.for_tenant(tenant).filter(
        period=period, customer_id=customer_id, frozen=False
    )
    if not own.totals and not adjust.totals:
        line_store.lines_delete(tenant, mine)
        mine.delete()
        return 0
    rows = line_store.line_rows(tenant, [*own.lines, *adjust.lines])
    digest = line_store.lines_digest(rows)
    stored_digest = mine.values_list("lines_digest", flat=True).first()
    customers = selectors.customers_by_id(tenant, [customer_id])
    records = _write_reports(tenant, period, own, adjust, customers, frozen=frozen, digest=digest)
    if stored_digest == digest:
        return 0
    line_store.lines_delete(tenant, mine)
    line_store.lines_write(tenant, records[customer_id].pk, rows)
    return len(rows)


def period_close_check(period: date) -> date:
    """The month to close, or Conflict if it is not over yet (checked before queueing)."""
    period = month_start(period)
    if month_bounds(period)[1] > timezone.now():
        raise Conflict(
            _("%(month)s is not over yet.") % {"month": f"{period:%Y-%m}"}, code="period_not_over"
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
            _store_customer(tenant, period, closed, customer_id, frozen=True)
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


def _write_reports(tenant, period, own, adjust, customers, *, frozen: bool, digest: str) -> dict:
    now = timezone.now()
    records = {}
    products = _products_of(tenant, own, adjust)
    for customer_id in sorted(_customer_ids(own, adjust)):
        record = build_record(period, customer_id, own, adjust, products)
        record.tenant = tenant
        record.computed_at = now
        record.frozen, record.frozen_at = frozen, (now if frozen else None)
        record.lines_digest = digest
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
        "lines_digest",
    ]
    BillingReport.objects.bulk_create(
        list(records.values()),
        update_conflicts=True,
        unique_fields=["tenant", "customer", "period"],
        update_fields=update,
    )
    # The ids of rows an upsert updated (the lines need them), on every backend.
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


def frozen_report_of(tenant, customer, period) -> Report:
    """A closed month's report of a customer, with its stored lines (empty if none)."""
    record = selectors.frozen_report(tenant, customer.pk, period)
    if record is None:
        record = empty_record(tenant, customer, period, frozen=True)
        return with_products(tenant, record, customer, [])
    return with_products(tenant, record, customer, stored_lines(record))


frozen_lines = stored_lines
