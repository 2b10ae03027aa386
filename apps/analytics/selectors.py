"""Reads of the analytics pages and API (seed 001 getDashboard / getChannelStats / getFunnel).

Counts come from `DailyLeadStats` (one small GROUP BY over at most days × sources × lists
rows); percentiles of time to first contact and "unanswered now" from indexed SQL over the
leads table (PostgreSQL `percentile_cont`, a Python fallback elsewhere).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connections
from django.db.models import Count, Q, Sum

from apps.analytics.models import NO_LIST, TTFC_BOUNDS, TTFC_BUCKETS, DailyLeadStats
from apps.analytics.periods import Period
from apps.analytics.routers import read_alias
from apps.leads.models import Lead, LeadList, LeadStatus, Source

STEPS = ("created", "contacted", "booked", "won")
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


def daily(tenant, period: Period) -> list[dict]:
    """One row per day of the period (zeros included), oldest first."""
    return days_of(daily_rows(tenant, period), period)


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
    """The period's rollups summed per (source, list): steps and histogram buckets. Channels,
    lists, the funnel's total and the histogram are all sums of these rows (one query)."""
    rows = (
        _stats(tenant, period).values("source", "list_id").annotate(**_sums((*STEPS, *HISTOGRAM)))
    )
    return [_clean(row) for row in rows.order_by()]


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
    by_list = _summed(grouped_rows(tenant, period) if rows is None else rows, "list_id")
    ids = [list_id for list_id in by_list if list_id != NO_LIST]
    names = dict(
        LeadList.objects.for_tenant(tenant)
        .using(read_alias())
        .filter(pk__in=ids)
        .values_list("pk", "name")
        if ids
        else ()
    )
    out = []
    for list_id, counts in by_list.items():
        name = names.get(list_id) if list_id != NO_LIST else None
        out.append(rates({"list_id": list_id or None, "label": name, **counts}))
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
        query = (
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY s), count(*) FROM ("
            "SELECT EXTRACT(EPOCH FROM (first_contact_at - created_at)) AS s "
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


def operator_stats(tenant, period: Period) -> list[dict]:
    """Per assigned operator: leads handled, median... (extended tier, raw indexed SQL)."""
    start, end = period.bounds()
    contacted = Q(first_contact_at__isnull=False) | Q(
        status__in=(LeadStatus.CONTACTED, LeadStatus.BOOKED, LeadStatus.WON)
    )
    rows = (
        Lead.objects.for_tenant(tenant)
        .using(read_alias())
        .filter(created_at__gte=start, created_at__lt=end, assigned_to__isnull=False)
        .values("assigned_to", "assigned_to__email")
        .annotate(
            created=Count("id"),
            contacted=Count("id", filter=contacted),
            booked=Count("id", filter=Q(status__in=(LeadStatus.BOOKED, LeadStatus.WON))),
            won=Count("id", filter=Q(status=LeadStatus.WON)),
        )
        .order_by("-created")
    )
    responses = defaultdict(list)
    answered = (
        Lead.objects.for_tenant(tenant)
        .using(read_alias())
        .filter(
            created_at__gte=start,
            created_at__lt=end,
            assigned_to__isnull=False,
            first_contact_at__isnull=False,
        )
        .values_list("assigned_to", "created_at", "first_contact_at")
    )
    for user_id, created_at, contact in answered.iterator(chunk_size=5000):
        responses[user_id].append((contact - created_at).total_seconds())
    out = []
    for row in rows:
        values = sorted(responses.get(row["assigned_to"], ()))
        median = _percentile(values, 0.5)
        out.append(
            rates(
                {
                    "user_id": row["assigned_to"],
                    "label": row["assigned_to__email"],
                    **{k: row[k] for k in STEPS},
                    "median_seconds": None if median is None else round(median),
                }
            )
        )
    return out


def cohorts(tenant, period: Period) -> list[dict]:
    """Leads by source and ISO week of creation, with how far each cohort has got (advanced)."""
    buckets: dict[tuple, dict] = {}
    rows = _stats(tenant, period).values("day", "source").annotate(**_sums(STEPS)).order_by()
    for row in rows:
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
