"""getDashboard: the overview cards (value, previous period, delta, sparkline)."""

from __future__ import annotations

from django.core.cache import cache

from apps.analytics import selectors
from apps.analytics.periods import Period
from apps.analytics.rollups import rollups_version
from apps.billing.plan_limits import plan_limits_get
from apps.billing.selectors import usage_current


def _delta(current, previous) -> float | None:
    """Change against the previous period in percent (None when there is nothing to compare)."""
    if current is None or previous in (None, 0):
        return None
    return round(100.0 * (current - previous) / previous, 1)


def _card(key: str, value, previous, spark: list, *, unit: str = "count", lower_is_better=False):
    return {
        "key": key,
        "value": value,
        "previous": previous,
        "delta": _delta(value, previous),
        "unit": unit,
        "lower_is_better": lower_is_better,
        "sparkline": spark,
    }


def _daily_mean(row: dict) -> int | None:
    return round(row["ttfc_seconds"] / row["ttfc_count"]) if row["ttfc_count"] else None


# How long the numbers read from the leads table (percentiles, unanswered now) are reused: a
# closed period's percentiles move only when an old lead gets its first contact late; the
# open period's are at most a minute old.
CLOSED_PERIOD_SECONDS = 600
OPEN_PERIOD_SECONDS = 60
# The whole overview of a period is reused for a minute as long as the rollups stay the same
# (every rollup write changes the tenant's version, rollups.rollups_changed): a new lead shows
# at once; a first contact (no rollup write until the beat task) within a minute.
DASHBOARD_SECONDS = 60


def _cached(key: str, compute, seconds: int):
    return cache.get_or_set(key, compute, seconds)


def _leads_table_reads(tenant, period: Period) -> dict:
    """What the rollups cannot give: exact percentiles and the unanswered leads now."""

    def compute():
        return {
            "ttfc": selectors.ttfc_percentiles(tenant, period),
            "unanswered": selectors.unanswered_now(tenant),
        }

    return _cached(
        f"analytics:leads:{tenant.pk}:{period.first}:{period.last}", compute, OPEN_PERIOD_SECONDS
    )


def ttfc_percentiles_cached(tenant, period: Period) -> dict:
    """The period's time to first contact (median, p90, count) as the overview's cards show
    it: the same cached read, so the count beside the cards' median is the one it describes."""
    return _leads_table_reads(tenant, period)["ttfc"]


def _closed_period_ttfc(tenant, period: Period) -> dict:
    key = f"analytics:ttfc:{tenant.pk}:{period.first}:{period.last}"
    return _cached(key, lambda: selectors.ttfc_percentiles(tenant, period), CLOSED_PERIOD_SECONDS)


def dashboard(tenant, period: Period) -> dict:
    """Every card of the overview for `period`, compared with the period before it.

    Queries on a cold cache: one GROUP BY over the rollups for both periods, the usage meter,
    and the leads-table reads (percentiles of both periods, unanswered now); within a minute
    and unchanged rollups, none."""
    key = (
        f"analytics:dashboard:{tenant.pk}:{rollups_version(tenant)}:{period.key}:"
        f"{period.first}:{period.last}"
    )
    return _cached(key, lambda: _dashboard(tenant, period), DASHBOARD_SECONDS)


def _dashboard(tenant, period: Period) -> dict:
    before = period.previous()
    rows = selectors.daily_rows(tenant, before, period)
    days = selectors.days_of(rows, period)
    now_totals = selectors.totals_of(days)
    old_totals = selectors.totals_of(selectors.days_of(rows, before))
    live = _leads_table_reads(tenant, period)
    ttfc = live["ttfc"]
    old_ttfc = _closed_period_ttfc(tenant, before)
    conversion = selectors.rates(now_totals)["conversion"]
    old_conversion = selectors.rates(old_totals)["conversion"]
    usage = usage_current(tenant, plan_limits_get(tenant))
    cards = [
        _card("leads", now_totals["created"], old_totals["created"], [d["created"] for d in days]),
        _card(
            "conversion",
            conversion,
            old_conversion,
            [selectors.rates(d)["conversion"] or 0 for d in days],
            unit="percent",
        ),
        _card("meetings", now_totals["booked"], old_totals["booked"], [d["booked"] for d in days]),
        _card(
            "ttfc_median",
            ttfc["median_seconds"],
            old_ttfc["median_seconds"],
            [_daily_mean(d) or 0 for d in days],
            unit="seconds",
            lower_is_better=True,
        ),
        _card(
            "ttfc_p90",
            ttfc["p90_seconds"],
            old_ttfc["p90_seconds"],
            [_daily_mean(d) or 0 for d in days],
            unit="seconds",
            lower_is_better=True,
        ),
        _card(
            "unanswered",
            live["unanswered"],
            None,
            [d["unanswered"] for d in days],
            lower_is_better=True,
        ),
        {
            **_card("usage", usage.used, None, [d["created"] for d in days]),
            "limit": usage.limit,
            "percent": usage.percent if usage.limit else None,
        },
    ]
    cards[5]["period_value"] = now_totals["unanswered"]
    cards[5]["delta"] = _delta(now_totals["unanswered"], old_totals["unanswered"])
    return {
        "period": {
            "key": period.key,
            "from": period.first,
            "to": period.last,
            "previous_from": before.first,
            "previous_to": before.last,
        },
        "time_zone": str(period.zone),
        "cards": cards,
        "days": [d["day"] for d in days],
    }
