"""How a report reads: JSON for the API, rows for CSV, per-lead groups for the dashboard and
the PDF, a text report for the command. Amounts stay integers of minor units until shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from apps.core.money import Money, exponent, format_money
from apps.payperlead import engine
from apps.payperlead.models import LineReason, month_start

SCOPE_LABELS = {
    engine.SCOPE_CUSTOMER_TYPE: "customer+lead_type",
    engine.SCOPE_CUSTOMER: "customer",
    engine.SCOPE_LEAD_TYPE: "lead_type",
    engine.SCOPE_DEFAULT: "default",
}


def period_label(period: date) -> str:
    return f"{period:%Y-%m}"


def major(amount: int, currency: str) -> str:
    """10.00 — for CSV and machines: dot decimal, no grouping."""
    return f"{Money(amount, currency).to_decimal():.{exponent(currency)}f}"


# 10,00 USD in Russian, 10.00 USD in English — for people.
money = format_money


@dataclass(frozen=True)
class Amount:
    """An amount that renders itself for people (templates print it with {{ }})."""

    amount: int
    currency: str

    def __str__(self) -> str:
        return money(self.amount, self.currency)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0


AMOUNT_KEYS = ("gross", "billed", "savings", "savings_duplicate", "savings_cap")


def amounts(totals: dict, currency: str) -> dict:
    """Totals with their amounts wrapped for display (counts left as they are)."""
    return {
        key: Amount(value, currency) if key in AMOUNT_KEYS else value
        for key, value in totals.items()
    }


def reason_label(reason: str) -> str:
    return str(LineReason(reason).label)


def totals_of(record) -> dict:
    return {
        "actions": record.actions_count,
        "gross": record.gross,
        "billed": record.billed,
        "savings": record.savings_duplicate + record.savings_cap,
        "savings_duplicate": record.savings_duplicate,
        "savings_cap": record.savings_cap,
        "unpriced": record.unpriced_count,
    }


def product_totals(item: dict) -> dict:
    return {
        "actions": item["actions_count"],
        "gross": item["gross"],
        "billed": item["billed"],
        "savings": item["savings_duplicate"] + item["savings_cap"],
        "savings_duplicate": item["savings_duplicate"],
        "savings_cap": item["savings_cap"],
        "unpriced": item["unpriced_count"],
    }


def _adjustments(record) -> dict | None:
    data = record.adjustments or {}
    if not data:
        return None
    return product_totals(data)


def customer_json(customer) -> dict:
    return {"id": customer.pk, "ref": customer.external_ref, "name": customer.name}


def summary_json(report) -> dict:
    """A customer's report without its lines."""
    record = report.record
    return {
        "period": period_label(record.period),
        "status": "closed" if record.frozen else "open",
        "frozen": record.frozen,
        "computed_at": record.computed_at.isoformat() if record.computed_at else None,
        "customer": customer_json(report.customer),
        "currency": record.currency,
        "totals": totals_of(record),
        "adjustments": _adjustments(record),
        "products": [
            {
                "product": {
                    "id": item["product_id"],
                    "ref": item["product_ref"],
                    "name": item["product_name"],
                },
                "totals": product_totals(item),
            }
            for item in record.products
        ],
        "lead_types_without_card": record.default_card_lead_types,
    }


def report_json(report, leads: dict) -> dict:
    """A customer's report with every line (the seed's GET /billing/reports)."""
    data = summary_json(report)
    data["lines"] = [line_json(line, leads, report.products) for line in report.lines or []]
    return data


def line_json(line: engine.Line, leads: dict, products: dict) -> dict:
    lead = leads.get(line.lead_id)
    product = products.get(line.product_id)
    return {
        "action_id": line.action_id,
        "lead_id": line.lead_id,
        "lead_ref": lead.external_id if lead else "",
        "product": product.external_ref if product else None,
        "lead_type": line.lead_type,
        "lead_type_has_card": not line.default_card,
        "action_type": line.action_type,
        "engagement": line.engagement,
        "occurred_at": line.occurred_at.isoformat(),
        "value": line.value,
        "billed": line.billed,
        "savings": line.savings,
        "reason": line.reason,
        "duplicate_of": line.duplicate_of,
        "billed_before": line.billed_before,
        "cap": line.card.cap,
        "card": {
            "id": line.card.id,
            "version": line.card.version,
            "scope": SCOPE_LABELS[line.card.scope],
        },
        "adjustment": line.adjustment,
        "action_period": period_label(month_start(line.occurred_at)),
    }


def overall_json(period: date, reports: list) -> dict:
    """Every customer's report of a period (no lines), totals per currency."""
    by_currency: dict[str, dict] = {}
    for report in reports:
        into = by_currency.setdefault(
            report.record.currency, dict.fromkeys(totals_of(report.record), 0)
        )
        for key, amount in totals_of(report.record).items():
            into[key] += amount
    frozen = bool(reports) and all(r.record.frozen for r in reports)
    return {
        "period": period_label(period),
        "customers": [summary_json(r) for r in reports],
        "totals": [{"currency": cur, **sums} for cur, sums in sorted(by_currency.items())],
        "frozen": frozen,
    }


CSV_HEADER = (
    "period",
    "customer",
    "product",
    "lead_id",
    "lead_ref",
    "lead_type",
    "lead_type_has_card",
    "action_id",
    "action_type",
    "engagement",
    "occurred_at",
    "card_id",
    "card_version",
    "currency",
    "value",
    "billed",
    "savings",
    "reason",
    "duplicate_of",
    "cap",
    "billed_before",
    "adjustment",
    "action_period",
)


def csv_rows(report, leads: dict) -> Iterable[tuple]:
    """One row per line; amounts in major units with a dot (10.00), currency in its column."""
    record, customer = report.record, report.customer
    currency = record.currency
    period = period_label(record.period)
    for line in report.lines or []:
        lead = leads.get(line.lead_id)
        product = report.products.get(line.product_id)
        yield (
            period,
            customer.external_ref,
            product.external_ref if product else "",
            line.lead_id or "",
            lead.external_id if lead else "",
            line.lead_type,
            "no" if line.default_card else "yes",
            line.action_id,
            line.action_type,
            line.engagement,
            line.occurred_at.isoformat(),
            line.card.id,
            line.card.version,
            currency,
            major(line.value, currency),
            major(line.billed, currency),
            major(line.savings, currency),
            line.reason,
            line.duplicate_of or "",
            major(line.card.cap, currency),
            major(line.billed_before, currency),
            "yes" if line.adjustment else "no",
            period_label(month_start(line.occurred_at)),
        )


@dataclass
class LeadGroup:
    """A lead's lines and subtotals within one customer's report (the drill-down level)."""

    lead_id: int | None
    lead: object | None
    product_id: int | None
    lead_type: str
    lines: list[engine.Line] = field(default_factory=list)
    gross: int = 0
    billed: int = 0
    savings: int = 0

    @property
    def label(self) -> str:
        if self.lead is None and self.lead_id is None:  # lines whose leads were deleted (SET_NULL)
            return _("Deleted leads")
        if self.lead is None:
            return _("Deleted lead #%(id)s") % {"id": self.lead_id}
        return self.lead.name or self.lead.external_id or f"#{self.lead_id}"


def lead_groups(report, leads: dict) -> list[LeadGroup]:
    """The report's lines by lead (in order of first appearance per product)."""
    groups: dict[tuple, LeadGroup] = {}
    for line in report.lines or []:
        key = (line.product_id, line.lead_id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = LeadGroup(
                line.lead_id, leads.get(line.lead_id), line.product_id, line.lead_type
            )
        group.lines.append(line)
        group.gross += line.value
        group.billed += line.billed
        group.savings += line.savings
    return sorted(groups.values(), key=lead_group_order)


def lead_group_order(group: LeadGroup) -> tuple:
    """By product, then label (deleted leads last), then id: selectors.lead_groups in SQL."""
    return (group.product_id or 0, group.lead is None, group.label, group.lead_id or 0)


def explain_cap(line: engine.Line, currency: str) -> str:
    """The cap computation of a line, for the "why was this billed?" view."""
    room = max(line.card.cap - line.billed_before, 0)
    return _(
        "cap %(cap)s − already billed to this person %(before)s = room %(room)s; "
        "value %(value)s → billed %(billed)s, saved %(saved)s"
    ) % {
        "cap": money(line.card.cap, currency),
        "before": money(line.billed_before, currency),
        "room": money(room, currency),
        "value": money(line.value, currency),
        "billed": money(line.billed, currency),
        "saved": money(line.savings, currency),
    }


def text_report(
    reports: list, period: date, *, source: str, leads: dict, in_memory: bool = False
) -> list[str]:
    """The command's readable report: per customer its totals, products and every line."""
    out = [
        _("Pay-per-lead report · %(month)s (calendar month, UTC)")
        % {"month": period_label(period)},
        _("Source: %(source)s") % {"source": source},
        "",
    ]
    by_currency: dict[str, list[int]] = {}
    for report in reports:
        record = report.record
        currency = record.currency
        sums = by_currency.setdefault(currency, [0, 0, 0, 0, 0])
        for i, amount in enumerate(
            (
                record.billed,
                record.gross,
                record.savings_duplicate,
                record.savings_cap,
                record.actions_count,
            )
        ):
            sums[i] += amount
        out += _text_customer(report, leads, in_memory)
    if not reports:
        out.append(_("No billable actions in this month: the report is empty."))
    for currency, (billed, gross, duplicate, cap, actions) in sorted(by_currency.items()):
        out.append(
            _(
                "TOTAL %(currency)s: billed %(billed)s of %(gross)s · saved: duplicates "
                "%(duplicate)s, cap %(cap)s · %(actions)s actions"
            )
            % {
                "currency": currency,
                "billed": major(billed, currency),
                "gross": major(gross, currency),
                "duplicate": major(duplicate, currency),
                "cap": major(cap, currency),
                "actions": actions,
            }
        )
    return out


def _text_customer(report, leads: dict, in_memory: bool) -> list[str]:
    record, customer, currency = report.record, report.customer, report.record.currency
    state = _("closed, final") if record.frozen else _("open")
    if in_memory:
        state = _("computed in memory")
    out = [
        _("Customer %(ref)s · %(currency)s · %(state)s")
        % {"ref": customer.external_ref, "currency": currency, "state": state},
        "  "
        + _(
            "billed %(billed)s of %(gross)s · saved: duplicates %(duplicate)s, cap %(cap)s · "
            "%(actions)s actions"
        )
        % {
            "billed": major(record.billed, currency),
            "gross": major(record.gross, currency),
            "duplicate": major(record.savings_duplicate, currency),
            "cap": major(record.savings_cap, currency),
            "actions": record.actions_count,
        },
    ]
    for item in record.products:
        out.append(
            "  "
            + _("product %(product)s: billed %(billed)s of %(gross)s, %(actions)s actions")
            % {
                "product": item["product_ref"] or _("(no product)"),
                "billed": major(item["billed"], currency),
                "gross": major(item["gross"], currency),
                "actions": item["actions_count"],
            }
        )
    if record.default_card_lead_types:
        types = ", ".join(t or _("(none)") for t in record.default_card_lead_types)
        out.append("  " + _("lead types on the default card: %(types)s") % {"types": types})
    for group in lead_groups(report, leads):
        product = report.products.get(group.product_id)
        ref = group.lead.external_id if group.lead and group.lead.external_id else group.label
        out.append(
            f"  {_('lead')} {ref} · {product.external_ref if product else '—'} · "
            f"{group.lead_type or '—'} · {_('billed')} {major(group.billed, currency)}"
        )
        for line in group.lines:
            out.append(_text_line(line, currency))
    out.append("")
    return out


def _text_line(line: engine.Line, currency: str) -> str:
    reason = ""
    if line.reason == engine.REASON_DUPLICATE:
        reason = _("duplicate of #%(id)s") % {"id": line.duplicate_of}
    elif line.reason == engine.REASON_CAP:
        reason = _("over the cap (%(room)s left of %(cap)s)") % {
            "room": major(max(line.card.cap - line.billed_before, 0), currency),
            "cap": major(line.card.cap, currency),
        }
    elif line.reason == engine.REASON_UNPRICED:
        reason = _("unknown engagement level")
    if line.adjustment:
        reason = (reason + " · " if reason else "") + _("late action of a closed month")
    return (
        f"    {line.occurred_at:%Y-%m-%d %H:%M}  #{line.action_id:<6} {line.action_type[:22]:<22} "
        f"{line.engagement:<7} {major(line.value, currency):>9}  {_('billed')} "
        f"{major(line.billed, currency):>9}  {_('saved')} {major(line.savings, currency):>7}"
        + (f"  {reason}" if reason else "")
    )
