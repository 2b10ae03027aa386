"""The months the report page offers: those with lead actions, not every month between the
first and the last action (a sample imported with old dates made the picker run back 33
months through empty ones)."""

from __future__ import annotations

from datetime import UTC, date

from apps.leads.models import LeadAction
from apps.payperlead.models import month_bounds, month_start


def months_with_actions(tenant) -> list[date]:
    """The calendar months (UTC, as the reports count them) in which the tenant has at least
    one lead action, oldest first. One probe of the (tenant, occurred_at) index per month with
    actions — the first action at or after the previous month's end — so a million actions
    cost what a dozen do (grouping every action by month read them all)."""
    actions = LeadAction.objects.for_tenant(tenant).order_by("occurred_at")
    months: list[date] = []
    after = None
    while True:
        query = actions if after is None else actions.filter(occurred_at__gte=after)
        first = query.values_list("occurred_at", flat=True).first()
        if first is None:
            return months
        months.append(month_start(first.astimezone(UTC)))
        after = month_bounds(months[-1])[1]
