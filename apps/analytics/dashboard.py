"""getDashboard: the overview cards (value, previous period, delta, sparkline)."""

from __future__ import annotations

from django.core.cache import cache

from apps.analytics import selectors
from apps.analytics.periods import Period
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


CLOSED_PERIOD_SECONDS = 600


def _closed_period_ttfc(tenant, period: Period) -> dict:
    """The previous period's percentiles (a closed range: they move only when an old lead
    gets its first contact late) are cached for 10 minutes: one raw scan less per view."""
    key = f"analytics:ttfc:{tenant.pk}:{period.first}:{period.last}"
    return cache.get_or_set(
        key, lambda: selectors.ttfc_percentiles(tenant, period), CLOSED_PERIOD_SECONDS
    )


def dashboard(tenant, period: Period, *, usage=None) -> dict:
    """Every card of the overview for `period`, compared with the period before it."""
    before = period.previous()
    now_totals = selectors.totals(tenant, period)
    old_totals = selectors.totals(tenant, before)
    days = selectors.daily(tenant, period)
    ttfc = selectors.ttfc_percentiles(tenant, period)
    old_ttfc = _closed_period_ttfc(tenant, before)
    conversion = selectors.rates(now_totals)["conversion"]
    old_conversion = selectors.rates(old_totals)["conversion"]
    if usage is None:
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
            selectors.unanswered_now(tenant),
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
