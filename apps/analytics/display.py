"""How the dashboard's numbers are shown: card labels and formatted values, chart data."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from apps.analytics import selectors
from apps.analytics.selectors import PeriodReads
from apps.analytics.tables import bucket_label, duration_label

LABELS = {
    "leads": _("Leads"),
    "conversion": _("Conversion to meeting"),
    "meetings": _("Meetings booked"),
    "ttfc_median": _("Time to first contact, median"),
    "ttfc_p90": _("Time to first contact, p90"),
    "unanswered": _("Unanswered now"),
    "usage": _("Leads this period vs quota"),
}
SPARK_LABELS = {
    "ttfc_median": _("daily mean"),
    "ttfc_p90": _("daily mean"),
    "unanswered": _("still unanswered, by day of arrival"),
    "usage": _("leads by day"),
}


def format_value(card: dict) -> str:
    value = card["value"]
    if value is None:
        return "—"
    if card["unit"] == "seconds":
        return duration_label(value)
    if card["unit"] == "percent":
        return f"{number_format(value, 1)} %"
    if card["key"] == "usage" and card.get("limit"):
        return f"{_grouped(value)} / {_grouped(card['limit'])}"
    return _grouped(value)


def _grouped(value) -> str:
    return number_format(value, force_grouping=True)


def cards_for_display(data: dict) -> list[dict]:
    out = []
    for card in data["cards"]:
        delta = card["delta"]
        trend = ""
        if delta is not None and delta != 0:
            better = (delta < 0) if card["lower_is_better"] else (delta > 0)
            trend = "good" if better else "bad"
        out.append(
            {
                **card,
                "label": LABELS[card["key"]],
                "display": format_value(card),
                "previous_display": format_value({**card, "value": card["previous"]}),
                "delta_display": None if delta is None else f"{delta:+.1f} %",
                "trend": trend,
                "spark_label": SPARK_LABELS.get(card["key"], ""),
            }
        )
    return out


def chart_data(reads: PeriodReads) -> dict:
    """The JSON the page's charts read (json_script): the same numbers as the tables, from
    the same reads (no query of its own once the tables are built)."""
    tenant, period, rows = reads.tenant, reads.period, reads.grouped
    channels = selectors.channel_stats(tenant, period, rows)
    totals = selectors.funnel(tenant, period, rows)["total"]
    histogram = selectors.ttfc_histogram(tenant, period, rows)
    days = reads.days
    return {
        "labels": {
            "leads": str(_("Leads")),
            "contacted": str(_("Contacted")),
            "booked": str(_("Meeting booked")),
            "won": str(_("Won")),
            "mean_minutes": str(_("Mean time to first contact, min")),
        },
        "channels": {
            "labels": [c["label"] for c in channels],
            "created": [c["created"] for c in channels],
            "contacted": [c["contacted"] for c in channels],
            "booked": [c["booked"] for c in channels],
            "won": [c["won"] for c in channels],
        },
        "funnel": [totals["created"], totals["contacted"], totals["booked"], totals["won"]],
        "ttfc": {
            "labels": [bucket_label(b) for b in histogram],
            "counts": [b["count"] for b in histogram],
        },
        "trend": {
            "labels": [d["day"].isoformat() for d in days],
            "minutes": [
                round(d["ttfc_seconds"] / d["ttfc_count"] / 60, 1) if d["ttfc_count"] else None
                for d in days
            ],
        },
    }
