"""Settling a run: everything that happens after its last lead, in one place.

    run_item_counted(tenant, run_id, status)        — in the transaction that finishes an item
        +1 on the run's counter; the item that completes the run flips it running -> done
        (a conditional update: exactly once), totals its AI cost and, after commit, queues
        `enrichment_settle_task` (billing queue, retried while a provider does not answer)
    enrichment_run_settle(tenant, run_id)           — the task's body
        1. count the run's items: delivered (enriched: at least one NEW field determined) and
           not delivered (nothing found, failed, skipped)
        2. one call into billing, `usage_charge_settle(charge, delivered=…)`, which applies the
           documented policy "a lead is paid for only when something new was found": the
           authorization was the maximum (every billable lead), the undelivered units go back to
           the credit balance, as a partial card refund (with its credit note), or — billed in
           arrears — only the delivered units are metered
        3. the `enrichment_run_settled` event

Never paid twice: billing's settle is idempotent (a repeated settle with the same numbers
gives nothing back again), so a re-delivered task or a second settle changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.billing.services.usage_charges import usage_charge_settle
from apps.core.events import emit, log_event
from apps.core.stored_text import stored_text
from apps.enrichment.events import EnrichmentRunFinished
from apps.enrichment.models import EnrichmentRun, EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.services.common import COUNTERS, Status
from apps.enrichment.services.queue import enrichment_run_settle_later


def run_item_counted(tenant, run_id, status: str) -> None:
    """Count one finished item on its run (inside the item's transaction); the item that
    completes the run marks it done and queues the settle once the transaction commits."""
    counter = COUNTERS[status]
    runs = EnrichmentRun.objects.for_tenant(tenant).filter(pk=run_id)
    runs.update(**{counter: F(counter) + 1})
    finished = runs.filter(
        status=EnrichmentRunStatus.RUNNING,
        leads_selected__lte=F("leads_enriched")
        + F("leads_nothing_found")
        + F("leads_failed")
        + F("leads_skipped"),
    ).update(status=EnrichmentRunStatus.DONE, finished_at=timezone.now())
    if finished:
        _run_totals(tenant, run_id)
        transaction.on_commit(lambda: enrichment_run_settle_later(tenant, run_id))
        emit(EnrichmentRunFinished(tenant_id=str(tenant.pk), run_id=str(run_id)))


def _run_totals(tenant, run_id) -> None:
    """The run's AI tokens and their cost (for staff margins), summed over its items."""
    totals = (
        LeadEnrichment.objects.for_tenant(tenant)
        .filter(run_id=run_id)
        .aggregate(
            cost=Sum("cost"), input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens")
        )
    )
    EnrichmentRun.objects.for_tenant(tenant).filter(pk=run_id).update(
        token_cost=totals["cost"] or Decimal(0),
        input_tokens=totals["input_tokens"] or 0,
        output_tokens=totals["output_tokens"] or 0,
    )


def enrichment_run_settle(tenant, run_id) -> None:
    """Settle a finished run's charge: only the leads where a new field was determined are
    paid for; nothing-found, failed and skipped ones are given back (see the module
    docstring). Idempotent."""
    run = EnrichmentRun.objects.for_tenant(tenant).select_related("usage_charge").get(pk=run_id)
    if run.status != EnrichmentRunStatus.DONE or run.usage_charge is None:
        return  # still running, declined, or nothing was charged
    delivered, failed, nothing_found = _delivered_and_failed(tenant, run)
    charge = usage_charge_settle(
        run.usage_charge,
        delivered=min(delivered, run.usage_charge.quantity),
        reason=stored_text(gettext_noop("AI enrichment: leads with nothing found or not enriched")),
    )
    EnrichmentRun.objects.for_tenant(tenant).filter(pk=run.pk, settled_at=None).update(
        settled_at=timezone.now()
    )
    log_event(
        "enrichment_run_settled",
        tenant_id=str(tenant.pk),
        run_id=str(run.pk),
        delivered=delivered,
        failed=failed,
        nothing_found=nothing_found,
        given_back=charge.refunded_quantity,
    )


def _delivered_and_failed(tenant, run: EnrichmentRun) -> tuple[int, int, int]:
    """(leads enriched, leads that failed, leads with nothing found) among the run's paid
    leads."""
    counts = (
        LeadEnrichment.objects.for_tenant(tenant)
        .filter(run_id=run.pk, billable=True)
        .aggregate(
            delivered=Count("pk", filter=Q(status=Status.ENRICHED)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            nothing_found=Count("pk", filter=Q(status=Status.NOTHING_FOUND)),
        )
    )
    return counts["delivered"], counts["failed"], counts["nothing_found"]
