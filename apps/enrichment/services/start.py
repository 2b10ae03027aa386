"""Starting a run: select the leads, decide per lead, write the run and its rows, then pay.

The run and one `LeadEnrichment` row per selected lead are written in one transaction under
the tenant's row lock (two starts never take the same lead); the charge is authorized after
that commit (charge.py), before any work is queued.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.errors import PaymentDeclined
from apps.billing.services.lifecycle import access_ensure_writable
from apps.core.errors import ValidationFailed
from apps.core.events import emit, log_event
from apps.enrichment.events import EnrichmentRunFinished
from apps.enrichment.models import EnrichmentRun, EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.services.charge import enrichment_run_authorize, enrichment_run_start_unpaid
from apps.enrichment.services.common import (
    FEATURE,
    IDEMPOTENCY_WINDOW,
    MAX_LEADS,
    Status,
    enrichment_offline,
    mode_of,
)
from apps.enrichment.services.selection import decide, selection_scope
from apps.features.guards import ensure_feature
from apps.tenants.models import Tenant


def enrichment_run_start(
    *,
    tenant,
    actor,
    lead_ids=None,
    list_id=None,
    filters=None,
    force: bool = False,
    idempotency_key: str | None = None,
) -> EnrichmentRun:
    """Start an enrichment run of one scope (see the package docstring).

    Raises ValidationFailed (bad or empty scope), FeatureLocked (no `enrichment` tool),
    PaymentRequired (read-only company), PaymentDeclined / PaymentMethodRequired /
    ProviderUnavailable (the run is then declined, nothing is enriched). With
    `idempotency_key` a repeated call within a day returns the first run (or its decline).
    Call it outside a transaction: the charge is committed before the work is queued.
    """
    ensure_feature(tenant, FEATURE)
    access_ensure_writable(tenant)
    if idempotency_key:
        idempotency_key = str(idempotency_key)[:100]
        existing = _run_for_key(tenant, idempotency_key)
        if existing is not None:
            return _replay(existing)
    scope, queryset = selection_scope(tenant, actor, lead_ids, list_id, filters)
    if idempotency_key:
        scope["idempotency_key"] = idempotency_key
    offline = enrichment_offline()
    actor_user = (
        actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    )
    with transaction.atomic():
        _lock_tenant(tenant)
        ids = list(queryset.values_list("pk", flat=True)[: MAX_LEADS + 1])
        _check_selection(scope, ids)
        decisions = decide(tenant, sorted(ids), force=bool(force), mode=mode_of(offline))
        run = _run_create(tenant, actor_user, scope, bool(force), offline, decisions)
    log_event(
        "enrichment_run_created",
        tenant_id=str(tenant.pk),
        run_id=str(run.pk),
        selected=run.leads_selected,
        billable=run.leads_billable,
        offline=offline,
    )
    if run.leads_billable == 0:
        return _finish_free(run)
    if run.offline:
        return enrichment_run_start_unpaid(tenant, run)  # the heuristic takes no money
    return enrichment_run_authorize(tenant, run, actor_user)


def _run_for_key(tenant, key: str) -> EnrichmentRun | None:
    return (
        EnrichmentRun.objects.for_tenant(tenant)
        .filter(scope__idempotency_key=key, created_at__gte=timezone.now() - IDEMPOTENCY_WINDOW)
        .order_by("-created_at")
        .first()
    )


def _replay(run: EnrichmentRun) -> EnrichmentRun:
    if run.status == EnrichmentRunStatus.DECLINED:
        raise PaymentDeclined(run.failure_reason, extra={"run_id": str(run.pk)})
    return run


def _lock_tenant(tenant) -> None:
    """Serialize run starts of one tenant (PostgreSQL row lock), so that two starts never
    both take the same lead."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).first()


def _check_selection(scope: dict, ids: list[int]) -> None:
    if "lead_ids" in scope:
        missing = sorted(set(scope["lead_ids"]) - set(ids))
        if missing:
            shown = ", ".join(str(i) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
            raise ValidationFailed(
                _("Some leads do not exist: %(ids)s.") % {"ids": shown},
                code="unknown_leads",
                fields={"lead_ids": [_("Unknown lead ids: %(ids)s.") % {"ids": shown}]},
            )
    if not ids:
        raise ValidationFailed(_("No leads match this selection."), code="no_leads")
    if len(ids) > MAX_LEADS:
        raise ValidationFailed(
            _("The selection has more than %(max)s leads; enrich it in parts.")
            % {"max": f"{MAX_LEADS:,}"},
            code="too_many_leads",
        )


def _run_create(tenant, actor, scope, force, offline, decisions) -> EnrichmentRun:
    now = timezone.now()
    billable = sum(1 for d in decisions if d["billable"])
    run = EnrichmentRun.objects.create(
        tenant=tenant,
        requested_by=actor,
        scope=scope,
        force=force,
        status=EnrichmentRunStatus.PENDING,
        leads_selected=len(decisions),
        leads_billable=billable,
        leads_skipped=len(decisions) - billable,
        offline=offline,
        created_at=now,
    )
    LeadEnrichment.objects.bulk_create(
        [
            LeadEnrichment(
                tenant=tenant,
                run=run,
                lead_id=d["lead_id"],
                status=Status.PENDING if d["billable"] else Status.SKIPPED,
                failure_reason=d["reason"][:300],
                input_hash=d["input_hash"],
                billable=d["billable"],
                created_at=now,
                finished_at=None if d["billable"] else now,
            )
            for d in decisions
        ],
        batch_size=None,
    )
    return run


def _finish_free(run: EnrichmentRun) -> EnrichmentRun:
    """Nothing to enrich: the run is done at once and charges nothing."""
    now = timezone.now()
    EnrichmentRun.objects.for_tenant(run.tenant).filter(pk=run.pk).update(
        status=EnrichmentRunStatus.DONE, started_at=now, finished_at=now
    )
    run.refresh_from_db()
    emit(EnrichmentRunFinished(tenant_id=str(run.tenant_id), run_id=str(run.pk)))
    return run
