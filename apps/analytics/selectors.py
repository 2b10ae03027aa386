"""Reads of the analytics pages and API (seed 001 getDashboard / getChannelStats / getFunnel).

Counts come from `DailyLeadStats` (one small GROUP BY over at most days × sources × lists
rows); percentiles of time to first contact and "unanswered now" from indexed SQL over the
leads table (PostgreSQL `percentile_cont`, a Python fallback elsewhere).
"""

from __future__ import annotations

from functools import cached_property

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, OuterRef, Q, Subquery, Sum

from apps.analytics.models import NO_LIST, TTFC_BOUNDS, TTFC_BUCKETS, DailyLeadStats
from apps.analytics.periods import Period
from apps.analytics.routers import read_alias
from apps.leads.models import Lead, LeadList, LeadStatus, Source

STEPS = ("created", "contacted", "booked", "won")
_CONTACTED = (LeadStatus.CONTACTED, LeadStatus.BOOKED, LeadStatus.WON)
_BOOKED = (LeadStatus.BOOKED, LeadStatus.WON)
HISTOGRAM = tuple(f"h{i}" for i in range(TTFC_BUCKETS))


def _stats(tenant, period: Period):
    return (
        DailyLeadStats.objects.for_tenant(tenant)
        .using(read_alias())
        .filter(day__gte=period.first, day__lte=period.last)
    )


def _sums(names=(*STEPS, "lost", "unanswered", "ttfc_count", "ttfc_seconds")) -> dict:
    return {name: Sum(name) for name in names}


def _clean(row: dict) -> dict:
    return {key: (value or 0) for key, value in row.items()}


def totals(tenant, period: Period) -> dict:
    return _clean(_stats(tenant, period).aggregate(**_sums()))


def daily(tenant, period: Period, rows: list[dict] | None = None) -> list[dict]:
    """One row per day of the period (zeros included), oldest first; from `day_source_rows`
    when given (summed per day, no query)."""
    if rows is None:
        return days_of(daily_rows(tenant, period), period)
    by_day: dict = {}
    for row in rows:
        bucket = by_day.setdefault(row["day"], dict.fromkeys(_sums(), 0))
        for name in bucket:
            bucket[name] += row[name]
    return days_of(by_day, period)


def daily_rows(tenant, *periods: Period) -> dict:
    """{day: counters} of every day with leads from the first day of the earliest period to
    the last day of the latest: one GROUP BY over the rollups for several periods at once."""
    span = Period("", min(p.first for p in periods), max(p.last for p in periods), None)
    return {
        row["day"]: _clean(row)
        for row in _stats(tenant, span).values("day").annotate(**_sums()).order_by()
    }


def days_of(rows: dict, period: Period) -> list[dict]:
    """The period's days from `daily_rows` (zeros for days without leads), oldest first."""
    empty = dict.fromkeys(_sums(), 0)
    return [{"day": day, **rows.get(day, empty)} for day in period.day_list()]


def totals_of(days: list[dict]) -> dict:
    """The sum of `days_of` rows: what `totals` counts, without another query."""
    return {name: sum(day[name] for day in days) for name in _sums()}


def rates(row: dict) -> dict:
    """Step rates (share of the previous step) and overall conversion, in percent."""
    created = row.get("created", 0)
    out = dict(row)
    previous = created
    for step in STEPS[1:]:
        out[f"{step}_rate"] = _percent(row.get(step, 0), previous)
        out[f"{step}_dropoff"] = previous - row.get(step, 0) if previous else 0
        previous = row.get(step, 0)
    out["conversion"] = _percent(row.get("booked", 0), created)
    return out


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def grouped_rows(tenant, period: Period) -> list[dict]:
    """The period's rollups summed per (source, list): steps and histogram buckets, with the
    list's name (`list_name`, None for no list). Channels, lists, the funnel's total and the
    histogram are all sums of these rows (one query)."""
    name = LeadList.objects.for_tenant(tenant).filter(pk=OuterRef("list_id")).values("name")[:1]
    rows = (
        _stats(tenant, period)
        .values("source", "list_id")
        .annotate(list_name=Subquery(name), **_sums((*STEPS, *HISTOGRAM)))
    )
    return [{**_clean(row), "list_name": row["list_name"]} for row in rows.order_by()]


def day_source_rows(tenant, period: Period) -> list[dict]:
    """The period's rollups summed per (day, source): every counter. The table by day, the
    trend chart (`daily`) and the cohorts are sums of these rows (one query)."""
    rows = _stats(tenant, period).values("day", "source").annotate(**_sums()).order_by()
    return [_clean(row) for row in rows]


class PeriodReads:
    """The rollup reads of one page of a period, each made once when first needed: the
    tables, the charts and an export share them."""

    def __init__(self, tenant, period: Period):
        self.tenant = tenant
        self.period = period

    @cached_property
    def grouped(self) -> list[dict]:
        return grouped_rows(self.tenant, self.period)

    @cached_property
    def by_day_source(self) -> list[dict]:
        return day_source_rows(self.tenant, self.period)

    @cached_property
    def days(self) -> list[dict]:
        return daily(self.tenant, self.period, self.by_day_source)


def _summed(rows: list[dict], key: str) -> dict:
    out: dict = {}
    for row in rows:
        bucket = out.setdefault(row[key], dict.fromkeys(STEPS, 0))
        for step in STEPS:
            bucket[step] += row[step]
    return out


def channel_stats(tenant, period: Period, rows: list[dict] | None = None) -> list[dict]:
    """Per source: leads, contacted, booked, won and the rates (getChannelStats)."""
    labels = dict(Source.choices)
    rows = grouped_rows(tenant, period) if rows is None else rows
    out = [
        rates({"source": source, "label": str(labels.get(source, source)), **counts})
        for source, counts in _summed(rows, "source").items()
    ]
    return sorted(out, key=lambda r: (-r["created"], r["source"]))


def list_stats(tenant, period: Period, rows: list[dict] | None = None) -> list[dict]:
    """Per lead list (and "no list"), the funnel counts."""
    rows = grouped_rows(tenant, period) if rows is None else rows
    names = {row["list_id"]: row["list_name"] for row in rows if row["list_id"] != NO_LIST}
    out = []
    for list_id, counts in _summed(rows, "list_id").items():
        out.append(rates({"list_id": list_id or None, "label": names.get(list_id), **counts}))
    return sorted(out, key=lambda r: (-r["created"], r["list_id"] or 0))


def funnel(tenant, period: Period, rows: list[dict] | None = None) -> dict:
    """getFunnel: lead → contacted → booked → won with rates and drop-off, by channel, by list."""
    rows = grouped_rows(tenant, period) if rows is None else rows
    return {
        "total": rates({step: sum(row[step] for row in rows) for step in STEPS}),
        "by_channel": channel_stats(tenant, period, rows),
        "by_list": list_stats(tenant, period, rows),
    }


def ttfc_histogram(tenant, period: Period, rows: list[dict] | None = None) -> list[dict]:
    rows = grouped_rows(tenant, period) if rows is None else rows
    lower = 0
    out = []
    for i, bound in enumerate((*TTFC_BOUNDS, None)):
        count = sum(row[f"h{i}"] for row in rows)
        out.append({"from_seconds": lower, "to_seconds": bound, "count": count})
        lower = bound
    return out


def ttfc_percentiles(tenant, period: Period) -> dict:
    """Median and p90 of seconds from creation to first contact, of leads created in the
    period that were contacted (None when none were)."""
    start, end = period.bounds()
    alias = read_alias()
    leads = (
        Lead.objects.for_tenant(tenant)
        .using(alias)
        .filter(created_at__gte=start, created_at__lt=end, first_contact_at__isnull=False)
    )
    if connections[alias].vendor == "postgresql":
        # date_part, not EXTRACT: EXTRACT gives numeric (PostgreSQL 14+), slower to sort, and
        # percentile_cont takes double precision anyway (a quarter of the query's time).
        query = (
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY s), count(*) FROM ("
            "SELECT date_part('epoch', first_contact_at - created_at) AS s "
            "FROM leads_lead WHERE tenant_id = %s AND created_at >= %s "
            "AND created_at < %s AND first_contact_at IS NOT NULL) t"
        )
        with connections[alias].cursor() as cursor:
            cursor.execute(query, [tenant.pk, start, end])
            median, p90, count = cursor.fetchone()
        return _seconds(median, p90, count)
    values = sorted(
        (contact - created).total_seconds()
        for created, contact in leads.values_list("created_at", "first_contact_at")
    )
    return _seconds(_percentile(values, 0.5), _percentile(values, 0.9), len(values))


def _seconds(median, p90, count) -> dict:
    return {
        "median_seconds": None if median is None else round(float(median)),
        "p90_seconds": None if p90 is None else round(float(p90)),
        "count": count or 0,
    }


def _percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def unanswered_now(tenant) -> int:
    """Leads still new and never contacted (index lead_tenant_status)."""
    return (
        Lead.objects.for_tenant(tenant)
        .using(read_alias())
        .filter(status=LeadStatus.NEW, first_contact_at__isnull=True)
        .count()
    )


class _MedianSeconds(Aggregate):
    """PostgreSQL's percentile_cont(0.5) of an interval in seconds (NULLs left out)."""

    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', %(expressions)s))"
    output_field = FloatField()


def _operator_row(user_id, email, counts: dict, median) -> dict:
    return rates(
        {
            "user_id": user_id,
            "label": email,
            **counts,
            "median_seconds": None if median is None else round(median),
        }
    )


def operator_stats(tenant, period: Period) -> list[dict]:
    """Per assigned operator: leads handled, contacted, booked, won and the median time to
    first contact (extended tier; one query over the indexed leads table; PostgreSQL takes
    the median with `percentile_cont`, a Python fallback elsewhere)."""
    start, end = period.bounds()
    alias = read_alias()
    leads = (
        Lead.objects.for_tenant(tenant)
        .using(alias)
        .filter(created_at__gte=start, created_at__lt=end, assigned_to__isnull=False)
    )
    if connections[alias].vendor != "postgresql":
        return _operator_stats_in_python(leads)
    contacted = Q(first_contact_at__isnull=False) | Q(status__in=_CONTACTED)
    rows = (
        leads.values("assigned_to", "assigned_to__email")
        .annotate(
            created=Count("id"),
            contacted=Count("id", filter=contacted),
            booked=Count("id", filter=Q(status__in=_BOOKED)),
            won=Count("id", filter=Q(status=LeadStatus.WON)),
            median=_MedianSeconds(F("first_contact_at") - F("created_at")),
        )
        .order_by("-created", "assigned_to")
    )
    return [
        _operator_row(
            row["assigned_to"], row["assigned_to__email"], {k: row[k] for k in STEPS}, row["median"]
        )
        for row in rows
    ]


def _operator_stats_in_python(leads) -> list[dict]:
    users: dict = {}
    rows = leads.values_list(
        "assigned_to", "assigned_to__email", "status", "created_at", "first_contact_at"
    )
    for user_id, email, status, created_at, contact in rows.iterator(chunk_size=5000):
        user = users.setdefault(user_id, {"email": email, **dict.fromkeys(STEPS, 0), "s": []})
        user["created"] += 1
        user["contacted"] += contact is not None or status in _CONTACTED
        user["booked"] += status in _BOOKED
        user["won"] += status == LeadStatus.WON
        if contact is not None:
            user["s"].append((contact - created_at).total_seconds())
    ordered = sorted(users.items(), key=lambda item: (-item[1]["created"], item[0]))
    return [
        _operator_row(
            user_id,
            user["email"],
            {k: user[k] for k in STEPS},
            _percentile(sorted(user["s"]), 0.5),
        )
        for user_id, user in ordered
    ]


def cohorts(tenant, period: Period, rows: list[dict] | None = None) -> list[dict]:
    """Leads by source and ISO week of creation, with how far each cohort has got (advanced);
    from `day_source_rows` when given (no query)."""
    buckets: dict[tuple, dict] = {}
    for row in day_source_rows(tenant, period) if rows is None else rows:
        year, week, _day = row["day"].isocalendar()
        key = (f"{year}-W{week:02d}", row["source"])
        bucket = buckets.setdefault(key, dict.fromkeys(STEPS, 0))
        for step in STEPS:
            bucket[step] += row[step] or 0
    labels = dict(Source.choices)
    return [
        rates({"week": week, "source": source, "label": str(labels.get(source, source)), **counts})
        for (week, source), counts in sorted(buckets.items())
    ]
