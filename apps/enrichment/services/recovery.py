"""Leads whose worker died and whose message was lost: queued again by the recovery beat.

A killed worker's task is normally re-delivered by the broker after its visibility timeout
(settings: the longest task time limit plus a margin). If the message itself is gone (a
broker restart without persistence, a purge), the row would stay `running` or `pending`
forever and its run would never settle. So the beat queues again every lead of a running run
that is still unfinished `ENRICHMENT_CLAIM_TIMEOUT` after its claim (or, never claimed, after
the run started). Queueing twice is safe: a task claims its row first (items.py).

The same holds for a finished run's settle: the item that completes a run queues it after its
commit, and a process killed in between (or inside the settle, or a lost message) would leave
the undelivered leads paid for. So the beat also queues the settle again for every run done
for `ENRICHMENT_CLAIM_TIMEOUT` whose charge has not given back what it owes (settling is
idempotent: a settle already done gives nothing back twice).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.billing.models import UsageChargeMode, UsageChargeStatus
from apps.enrichment.models import EnrichmentRun, EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.services.common import Status
from apps.enrichment.services.queue import enrich_lead_later, enrichment_run_settle_later

SETTLE_LOOKBACK = timedelta(days=7)  # older unsettled runs are left to staff (alerts)


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


def enrichment_runs_unsettled(now=None):
    """Runs done for longer than the claim timeout (within SETTLE_LOOKBACK) whose charge was
    never settled: prepaid ones have given back fewer leads than were not delivered, metered
    ones never reported their delivered leads."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.ENRICHMENT_CLAIM_TIMEOUT)
    delivered = (
        LeadEnrichment.objects.unscoped()
        .filter(run=OuterRef("pk"), billable=True, status=Status.ENRICHED)
        .order_by()
        .values("run")
        .annotate(n=Count("pk"))
        .values("n")
    )
    owed = Q(
        usage_charge__mode__in=(UsageChargeMode.CREDIT, UsageChargeMode.CARD),
        usage_charge__refunded_quantity__lt=F("usage_charge__quantity") - F("delivered"),
    )
    unreported = Q(usage_charge__mode=UsageChargeMode.ARREARS, usage_charge__provider_ref="") & ~Q(
        usage_charge__refunded_quantity=F("usage_charge__quantity")
    )
    return (
        EnrichmentRun.objects.unscoped()
        .filter(
            status=EnrichmentRunStatus.DONE,
            finished_at__lt=deadline,
            finished_at__gte=now - SETTLE_LOOKBACK,
            usage_charge__status=UsageChargeStatus.AUTHORIZED,
        )
        .annotate(delivered=Coalesce(Subquery(delivered), 0))
        .filter(owed | unreported)
        .select_related("tenant")
        .order_by("finished_at", "pk")
    )


def enrichment_runs_settle_unsettled(now=None) -> int:
    """Queue the settle again for every unsettled run (beat); returns how many."""
    count = 0
    for run in enrichment_runs_unsettled(now).iterator():
        enrichment_run_settle_later(run.tenant, run.pk)
        count += 1
    return count
