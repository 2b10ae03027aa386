"""Leads whose worker died and whose message was lost: queued again by the recovery beat.

A killed worker's task is normally re-delivered by the broker after its visibility timeout
(settings: the longest task time limit plus a margin). If the message itself is gone (a
broker restart without persistence, a purge), the row would stay `running` or `pending`
forever and its run would never settle. So the beat queues again every lead of a running run
that is still unfinished `ENRICHMENT_CLAIM_TIMEOUT` after its claim (or, never claimed, after
the run started). Queueing twice is safe: a task claims its row first (items.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.enrichment.models import EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.services.common import Status
from apps.enrichment.services.queue import enrich_lead_later


def enrichment_items_stuck(now=None):
    """(tenant id, item id) of unfinished leads of running runs past their claim deadline."""
    deadline = (now or timezone.now()) - timedelta(seconds=settings.ENRICHMENT_CLAIM_TIMEOUT)
    return (
        LeadEnrichment.objects.unscoped()
        .filter(run__status=EnrichmentRunStatus.RUNNING)
        .filter(
            Q(status=Status.RUNNING, claimed_at__lt=deadline)
            | Q(status=Status.PENDING, run__started_at__lt=deadline)
        )
        .order_by("pk")
        .values_list("tenant_id", "pk")
    )


def enrichment_items_requeue_stuck(now=None) -> int:
    """Queue a task again for every stuck lead (beat); returns how many."""
    count = 0
    for tenant_id, item_id in enrichment_items_stuck(now).iterator():
        enrich_lead_later(tenant_id, item_id)
        count += 1
    return count
