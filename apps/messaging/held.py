"""Leads an inbound message created while the plan's hard lead quota was spent: stored and
hidden (`Lead.held`), released — counted and shown, announced as created — when the plan is
upgraded or a new period starts (billing's SubscriptionChanged), as far as the quota allows."""

from __future__ import annotations

import structlog
from django.db import transaction

from apps.billing.quotas import lead_quota_reserve
from apps.core.events import emit
from apps.leads.events import LeadsCreated
from apps.leads.models import Lead

logger = structlog.get_logger("fastlead.messaging")


def held_leads_release(tenant) -> int:
    """Release the oldest held leads the quota now has room for; returns how many."""
    with transaction.atomic():
        waiting = list(
            Lead.objects.for_tenant(tenant)
            .select_for_update()
            .filter(held=True)
            .order_by("created_at", "id")
            .values_list("pk", "source")
        )
        if not waiting:
            return 0
        allowed = lead_quota_reserve(tenant, len(waiting)).allowed
        released = waiting[:allowed] if allowed else []
        if not released:
            return 0
        Lead.objects.filter(pk__in=[pk for pk, _ in released]).update(held=False)
        by_source: dict[str, list[int]] = {}
        for pk, source in released:
            by_source.setdefault(source, []).append(pk)
        for source, ids in by_source.items():
            emit(LeadsCreated(tenant_id=str(tenant.pk), source=source, lead_ids=tuple(ids)))
    logger.info("leads.released", tenant_id=str(tenant.pk), count=len(released))
    return len(released)
