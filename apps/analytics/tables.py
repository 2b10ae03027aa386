"""The analytics tables as (headers, kinds, rows): what the page shows behind each chart and
what CSV/XLSX exports download (the leads export's writers, apps/leads/export/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from apps.analytics import selectors
from apps.analytics.selectors import PeriodReads
from apps.leads.export.columns import INT, TEXT

FUNNEL_HEADERS = (
    _("Leads"),
    _("Contacted"),
    _("Meeting booked"),
    _("Won"),
    _("Contacted, %"),
    _("Booked, %"),
    _("Won, %"),
    _("Conversion to meeting, %"),
)


def _funnel_cells(row: dict) -> tuple:
    return (
        row["created"],
        row["contacted"],
        row["booked"],
        row["won"],
        row["contacted_rate"],
        row["booked_rate"],
        row["won_rate"],
        row["conversion"],
    )


FUNNEL_KINDS = (INT, INT, INT, INT, TEXT, TEXT, TEXT, TEXT)


@dataclass(frozen=True)
class Table:
    key: str
    title: object
    tool: str | None  # the entitlement that unlocks it (None: every plan)
    build: Callable[[PeriodReads], tuple[tuple, tuple, list[tuple]]]


def _channels(reads: PeriodReads):
    stats = selectors.channel_stats(reads.tenant, reads.period, reads.grouped)
    rows = [(r["label"], *_funnel_cells(r)) for r in stats]
    return (_("Channel"), *FUNNEL_HEADERS), (TEXT, *FUNNEL_KINDS), rows


def _lists(reads: PeriodReads):
    rows = [
        (r["label"] or str(_("No list")), *_funnel_cells(r))
        for r in selectors.list_stats(reads.tenant, reads.period, reads.grouped)
    ]
    return (_("List"), *FUNNEL_HEADERS), (TEXT, *FUNNEL_KINDS), rows


def _ttfc(reads: PeriodReads):
    histogram = selectors.ttfc_histogram(reads.tenant, reads.period, reads.grouped)
    rows = [(bucket_label(b), b["count"]) for b in histogram]
    return (_("Time to first contact"), _("Leads")), (TEXT, INT), rows


def _daily(reads: PeriodReads):
    rows = []
    for d in reads.days:
        mean = round(d["ttfc_seconds"] / d["ttfc_count"] / 60) if d["ttfc_count"] else None
        rows.append(
            (d["day"].isoformat(), d["created"], d["contacted"], d["booked"], d["won"], mean)
        )
    headers = (
        _("Day"),
        _("Leads"),
        _("Contacted"),
        _("Meeting booked"),
        _("Won"),
        _("Mean time to first contact, min"),
    )
    return headers, (TEXT, INT, INT, INT, INT, TEXT), rows


def _operators(reads: PeriodReads):
    rows = [
        (
            r["label"],
            r["created"],
            r["contacted"],
            r["booked"],
            r["won"],
            None if r["median_seconds"] is None else round(r["median_seconds"] / 60),
            r["conversion"],
        )
        for r in selectors.operator_stats(reads.tenant, reads.period)
    ]
    headers = (
        _("Operator"),
        _("Leads handled"),
        _("Contacted"),
        _("Meeting booked"),
        _("Won"),
        _("Median first response, min"),
        _("Conversion to meeting, %"),
    )
    return headers, (TEXT, INT, INT, INT, INT, TEXT, TEXT), rows


def _cohorts(reads: PeriodReads):
    cohorts = selectors.cohorts(reads.tenant, reads.period, reads.by_day_source)
    rows = [(r["week"], r["label"], *_funnel_cells(r)) for r in cohorts]
    return (_("Week"), _("Channel"), *FUNNEL_HEADERS), (TEXT, TEXT, *FUNNEL_KINDS), rows


def bucket_label(bucket: dict) -> str:
    low, high = bucket["from_seconds"], bucket["to_seconds"]
    if high is None:
        return str(_("over %(low)s")) % {"low": duration_label(low)}
    return f"{duration_label(low)}–{duration_label(high)}"


def duration_label(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 3600:
        return str(_("%(n)s min")) % {"n": round(seconds / 60)}
    if seconds < 48 * 3600:
        return str(_("%(n)s h")) % {"n": _one_decimal(seconds / 3600)}
    return str(_("%(n)s d")) % {"n": _one_decimal(seconds / 86400)}


def _one_decimal(value: float) -> str:
    """11.0 → "11", 11.46 → "11,5" in Russian (the active language's decimal mark)."""
    value = round(value, 1)
    return number_format(int(value) if value == int(value) else value)


TABLES = {
    t.key: t
    for t in (
        Table("channels", _("Channel conversion"), None, _channels),
        Table("lists", _("Funnel by list"), None, _lists),
        Table("ttfc", _("Time to first contact"), None, _ttfc),
        Table("daily", _("Leads by day"), None, _daily),
        Table("operators", _("Operators"), "extended_analytics", _operators),
        Table("cohorts", _("Cohorts by source and week"), "advanced_analytics", _cohorts),
    )
}
