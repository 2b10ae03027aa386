"""Reads of the AI layer: usage totals for the staff console."""

from __future__ import annotations

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from apps.ai.models import AIUsage, Outcome

_ZERO_COST = Value(0, output_field=DecimalField(max_digits=18, decimal_places=6))


def ai_usage_totals(queryset: QuerySet[AIUsage]) -> dict:
    """Calls, errors, tokens and cost over a usage queryset (one aggregate query)."""
    return queryset.aggregate(**_totals())


def ai_usage_totals_by_tenant(queryset: QuerySet[AIUsage], limit: int = 50) -> list[dict]:
    """Per tenant (None = platform calls), most expensive first: one grouped query."""
    rows = (
        queryset.order_by()
        .values("tenant_id", "tenant__name")
        .annotate(**_totals())
        .order_by("-cost", "-calls")[:limit]
    )
    return list(rows)


def _totals() -> dict:
    return {
        "calls": Count("id"),
        "errors": Count("id", filter=~Q(outcome=Outcome.OK)),
        "input_tokens": Coalesce(Sum("input_tokens"), 0),
        "output_tokens": Coalesce(Sum("output_tokens"), 0),
        "cost": Coalesce(Sum("cost"), _ZERO_COST),
    }
