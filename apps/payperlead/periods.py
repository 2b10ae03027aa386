"""The months the report page offers: those with lead actions, not every month between the
first and the last action (a sample imported with old dates made the picker run back 33
months through empty ones)."""

from __future__ import annotations

from datetime import UTC, date

from django.db.models.functions import TruncMonth

from apps.leads.models import LeadAction
from apps.payperlead.models import month_start


def months_with_actions(tenant) -> list[date]:
    """The calendar months (UTC, as the reports count them) in which the tenant has at least
    one lead action, oldest first (one grouped query)."""
    rows = (
        LeadAction.objects.for_tenant(tenant)
        .annotate(month=TruncMonth("occurred_at", tzinfo=UTC))
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    return sorted({month_start(value) for value in rows if value is not None})
