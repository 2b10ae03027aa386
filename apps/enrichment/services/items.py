"""One lead of a run (the body of `enrich_lead_task`): claim, call the model, write.

A task claims its row first (pending -> running, `attempts` + 1: the attempt number is the
claim's fencing token, so a re-delivered task takes over a killed worker's row and only one
result is ever written), checks the tool is still on and the lead still exists, calls the
model outside any transaction, then writes the row, the lead, its timeline and the run's
counters in one transaction. The item that completes the run hands over to settle.py.
"""

from __future__ import annotations

from decimal import Decimal

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.ai.models import AIUsage
from apps.ai.providers.base import ProviderError
from apps.ai.retry import COME_BACK_LATER
from apps.enrichment.models import EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.prompt import build_enrichment_request
from apps.enrichment.services import common
from apps.enrichment.services.apply import (
    lead_enrichment_plan,
    lead_enrichment_save,
    result_fields,
    timeline_record,
)
from apps.enrichment.services.common import (
    FEATURE,
    MAX_CLAIMS,
    RETRY_LATER,
    Status,
    mode_of,
    reason_feature_off,
    reason_lead_deleted,
    reason_nothing_to_fill,
    reason_provider,
    reason_worker_lost,
)
from apps.enrichment.services.hashing import LEAD_COLUMNS, lead_input
from apps.enrichment.services.selection import lead_histories
from apps.enrichment.services.settle import run_item_counted
from apps.features.guards import feature_enabled
from apps.leads.models import Lead

logger = structlog.get_logger("fastlead.enrichment")


def _claim(tenant, item_id: int) -> int | None:
    """pending/running -> running with attempts + 1; returns the attempt (the fencing
    token) or None when the row is finished or has used its claims."""
    items = LeadEnrichment.objects.for_tenant(tenant)
    claimed = items.filter(
        pk=item_id,
        status__in=(Status.PENDING, Status.RUNNING),
        attempts__lt=MAX_CLAIMS,
        run__status=EnrichmentRunStatus.RUNNING,
    ).update(status=Status.RUNNING, attempts=F("attempts") + 1, claimed_at=timezone.now())
    if not claimed:
        return None
    return items.filter(pk=item_id).values_list("attempts", flat=True).first()


def _finish(tenant, item_id: int, token: int | None, status: str, **fields) -> bool:
    """Move a claimed row to its final state and count it on the run (in the caller's
    transaction, or its own); False when another attempt took the row meanwhile."""
    with transaction.atomic():
        rows = LeadEnrichment.objects.for_tenant(tenant).filter(pk=item_id)
        rows = (
            rows.filter(status=Status.RUNNING, attempts=token)
            if token is not None
            else rows.filter(status__in=(Status.PENDING, Status.RUNNING))
        )
        if "failure_reason" in fields:
            fields["failure_reason"] = str(fields["failure_reason"])[:300]
        if not rows.update(status=status, finished_at=timezone.now(), **fields):
            return False
        run_id = (
            LeadEnrichment.objects.for_tenant(tenant)
            .filter(pk=item_id)
            .values_list("run_id", flat=True)
            .get()
        )
        run_item_counted(tenant, run_id, status)
    return True


def enrichment_item_skip(tenant, item_id: int, reason: str) -> bool:
    """Skip a waiting (or orphaned running) lead with `reason`; counted on the run."""
    return _finish(tenant, item_id, None, Status.SKIPPED, failure_reason=reason)


def enrichment_item_locked(tenant, item_id: int, *args, **kwargs) -> None:
    """The `enrichment` tool was switched off while the run was queued."""
    enrichment_item_skip(tenant, item_id, reason_feature_off())


def enrichment_item_process(tenant, item_id: int, *, client=None) -> str:
    """Enrich one lead of a run (the body of `enrich_lead_task`); returns what happened."""
    token = _claim(tenant, item_id)
    if token is None:
        return _unclaimed(tenant, item_id)
    try:
        return _process(tenant, item_id, token, client)
    except Exception as exc:  # a bug must not leave the row running and the run unfinished
        logger.exception("enrichment_item_crashed", tenant_id=str(tenant.pk), item_id=item_id)
        reason = _("Unexpected error (%(kind)s).") % {"kind": exc.__class__.__name__}
        _finish(tenant, item_id, token, Status.FAILED, failure_reason=reason)
        return Status.FAILED


def _unclaimed(tenant, item_id: int) -> str:
    """Not claimable: finished already (a duplicate delivery), or out of claims."""
    item = (
        LeadEnrichment.objects.for_tenant(tenant)
        .filter(pk=item_id)
        .values("status", "attempts", "run__status")
        .first()
    )
    if item is None:
        return "missing"
    if item["status"] in (Status.PENDING, Status.RUNNING) and item["attempts"] >= MAX_CLAIMS:
        _finish(tenant, item_id, None, Status.FAILED, failure_reason=reason_worker_lost())
        return Status.FAILED
    return "not_claimed"


def _process(tenant, item_id: int, token: int, client) -> str:
    item = LeadEnrichment.objects.for_tenant(tenant).select_related("run").get(pk=item_id)
    run = item.run
    if not feature_enabled(tenant, FEATURE):
        _finish(tenant, item_id, token, Status.SKIPPED, failure_reason=reason_feature_off())
        return Status.SKIPPED
    lead = Lead.objects.for_tenant(tenant).filter(pk=item.lead_id).first() if item.lead_id else None
    if lead is None:
        _finish(tenant, item_id, token, Status.SKIPPED, failure_reason=reason_lead_deleted())
        return Status.SKIPPED
    mode = mode_of(run.offline)
    history = lead_histories(tenant, [lead.pk], exclude_run=run.pk).get(lead.pk, [])
    facts, fill, _ai_fields, digest = lead_input(_as_row(lead), history, mode=mode)
    if not fill:
        _finish(tenant, item_id, token, Status.SKIPPED, failure_reason=reason_nothing_to_fill())
        return Status.SKIPPED
    request = build_enrichment_request(facts, tenant_id=tenant.pk)
    try:
        result = (client or common.enrichment_client()).structured(request)
    except ProviderError as exc:
        if exc.code in COME_BACK_LATER:
            # The shared limiter waited its maximum, or the budget could not be checked (no
            # call made): give the row back and come back later. The claim is handed back
            # too: waiting for a slot is not a lost worker.
            LeadEnrichment.objects.for_tenant(tenant).filter(
                pk=item_id, status=Status.RUNNING, attempts=token
            ).update(status=Status.PENDING, attempts=F("attempts") - 1)
            return RETRY_LATER
        usage = exc.usage
        _finish(
            tenant,
            item_id,
            token,
            Status.FAILED,
            failure_reason=reason_provider(exc),
            raw_response={"error": {"code": exc.code, "status": exc.status}, **(exc.raw or {})},
            model_version=(usage.model_version if usage else "")[:100],
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost=_usage_cost(tenant, exc.usage_id),
        )
        logger.info(
            "enrichment_item_failed", tenant_id=str(tenant.pk), item_id=item_id, code=exc.code
        )
        return Status.FAILED
    return _apply(tenant, item, token, lead.pk, result, history, digest)


def _as_row(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in LEAD_COLUMNS if name != "id"} | {"id": lead.pk}


def _usage_cost(tenant, usage_id) -> Decimal:
    if not usage_id:
        return Decimal(0)
    cost = AIUsage.objects.for_tenant(tenant).filter(pk=usage_id).values_list("cost", flat=True)
    return cost.first() or Decimal(0)


def _apply(
    tenant, item: LeadEnrichment, token: int, lead_id: int, result, history, digest: str
) -> str:
    """Write the answer: the row (fenced by the claim), the lead, its timeline, the run's
    counters — all or nothing. The row keeps the hash of the input the prompt was really
    built from (the lead may have changed since the run started). A lead is enriched (and
    paid for) only when the answer determined at least one new field; otherwise it is
    "nothing found", which is free."""
    values = result_fields(result.data)
    run = item.run
    with transaction.atomic():
        lead = Lead.objects.for_tenant(tenant).select_for_update().filter(pk=lead_id).first()
        if lead is None:
            done = _finish(
                tenant, item.pk, token, Status.SKIPPED, failure_reason=reason_lead_deleted()
            )
            return Status.SKIPPED if done else "superseded"
        _facts, _fill, ai_fields, _digest = lead_input(
            _as_row(lead), history, mode=mode_of(run.offline)
        )
        applied = lead_enrichment_plan(lead, values, ai_fields=ai_fields, run_id=run.pk)
        status = Status.ENRICHED if applied.new_fields else Status.NOTHING_FOUND
        done = _finish(
            tenant,
            item.pk,
            token,
            status,
            failure_reason="",
            input_hash=digest,
            fields=values,
            applied_fields=applied.applied,
            new_fields=applied.new_fields,
            kept_fields=applied.kept,
            raw_response=result.raw or {},
            model_version=(result.model_version or "")[:100],
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost=result.cost,
        )
        if not done:
            return "superseded"  # another attempt took the row: it writes, not us
        lead_enrichment_save(lead, applied)
        timeline_record(lead, applied, run=run, actor_id=run.requested_by_id)
    return status
