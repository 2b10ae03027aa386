"""The plan's monthly allowance of AI generations (HYROPAGE_MONTHLY_GENERATIONS: plan code ->
count, "*" for any other plan), counted over billing's current usage period. Offline
generations (no Gemini key: templates, no cost) and failed ones do not count."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from apps.billing.plan_limits import plan_limits_get
from apps.hyropage.models import Generation, GenerationStatus


@dataclass(frozen=True)
class Allowance:
    limit: int
    used: int

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


def allowance_get(tenant) -> Allowance:
    limits = plan_limits_get(tenant)
    table = settings.HYROPAGE_MONTHLY_GENERATIONS or {}
    limit = int(table.get(limits.plan_code or "", table.get("*", 0)))
    used = (
        Generation.objects.for_tenant(tenant)
        .filter(offline=False, created_at__gte=limits.period_start)
        .exclude(status=GenerationStatus.FAILED)
        .count()
    )
    return Allowance(limit=limit, used=used)
