"""AI enrichment runs: select, decide, price, authorize, fan out, apply, settle.

The course of a run:

1. `enrichment_run_start` selects the leads (ids, a list or the dashboard's filter; at most
   `MAX_LEADS`), and decides per lead from its input hash (see hashing.py): unchanged since
   its last enrichment -> skipped (unless forced); nothing left to fill -> skipped; already
   queued in another run -> skipped; the rest is billable. The run and one `LeadEnrichment`
   row per lead are written in bulk.
2. The price (plan's enrichment price × billable) is authorized through the billing engine
   with the key `enrichment-run-<run id>` BEFORE any work. A decline (or no way to pay) marks
   the run declined, skips every lead with the reason, queues nothing and re-raises the error.
3. One `enrich_lead_task` per billable lead on the `ai` queue. A task claims its row
   (pending -> running, `attempts` + 1: the attempt number is the claim's fencing token, so a
   re-delivered task takes over a killed worker's row and only one result is ever written),
   calls the model outside any transaction, then writes the result, the lead and the run's
   counters in one transaction.
4. The item that completes the run flips it to done (a conditional update: exactly once),
   totals its AI cost, and settles the charge with the number of leads really enriched —
   failed and skipped leads are given back (refunded) by the billing engine.

Charging happens once per run, before fan-out; tasks never charge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.ai.client import get_llm_client, provider_adapter
from apps.ai.enrichment_prompt import build_enrichment_request
from apps.ai.providers.base import ProviderError
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.events import log_event
from apps.features.guards import ensure_feature, feature_enabled
from apps.leads.enrichment.apply import lead_enrichment_apply, result_fields, timeline_record
from apps.leads.enrichment.hashing import LEAD_COLUMNS, lead_input
from apps.leads.filters import filters_to_params, parse_lead_filters
from apps.leads.models import (
    EnrichmentRun,
    EnrichmentRunStatus,
    Lead,
    LeadEnrichment,
    LeadEnrichmentStatus,
    LeadList,
)

logger = structlog.get_logger("fastlead.enrichment")

FEATURE = "enrichment"
CHARGE_KIND = "enrichment"
PROVIDER = "anthropic"
MAX_LEADS = 10_000
MAX_CLAIMS = 5  # a lead whose worker died this many times fails instead of looping
DIRECT_FANOUT = 200  # bigger runs are fanned out by a task, so the request returns at once
RECOVER_AFTER = timedelta(minutes=5)  # a run still pending this long is resolved by the beat
IDEMPOTENCY_WINDOW = timedelta(hours=24)
_CHUNK = 1000

Status = LeadEnrichmentStatus
_COUNTERS = {
    Status.ENRICHED: "leads_enriched",
    Status.FAILED: "leads_failed",
    Status.SKIPPED: "leads_skipped",
}
RETRY_LATER = "retry_later"


# --- reasons (stored on rows, shown in the dashboard and the API) ---------------------------


def reason_unchanged() -> str:
    return _("Unchanged since the last enrichment.")


def reason_nothing_to_fill() -> str:
    return _("Nothing to fill: every field is already known or set by hand.")


def reason_busy() -> str:
    return _("Already being enriched by another run.")


def reason_feature_off() -> str:
    return _("The enrichment tool was switched off.")


def reason_lead_deleted() -> str:
    return _("The lead was deleted.")


def reason_worker_lost() -> str:
    return _("The worker stopped several times while enriching this lead.")


def reason_provider(exc: ProviderError) -> str:
    return (_("AI provider: %(reason)s") % {"reason": exc.message})[:300]


# --- the client ------------------------------------------------------------------------------


def enrichment_client():
    """The managed LLM client the tasks use (tests and the bench replace it)."""
    return get_llm_client(PROVIDER)


def enrichment_offline() -> bool:
    """True when no API key is configured: runs use the labelled offline heuristic."""
    return provider_adapter(PROVIDER).offline


def _mode(offline: bool) -> str:
    return "offline" if offline else PROVIDER


# --- selection -------------------------------------------------------------------------------


def _scope(tenant, actor, lead_ids, list_id, filters) -> tuple[dict, Any]:
    """(scope to store on the run, queryset of the selected leads' ids)."""
    given = [name for name, value in (("lead_ids", lead_ids), ("list_id", list_id),
             ("filter", filters)) if value is not None]  # fmt: skip
    if len(given) != 1:
        raise ValidationFailed(
            _("Choose the leads to enrich: lead ids, a list or a filter (exactly one)."),
            code="invalid_scope",
        )
    leads = Lead.objects.for_tenant(tenant)
    if lead_ids is not None:
        ids = _valid_ids(lead_ids)
        return {"lead_ids": ids}, leads.filter(pk__in=ids)
    if list_id is not None:
        try:
            lead_list = LeadList.objects.for_tenant(tenant).get(pk=int(list_id))
        except (LeadList.DoesNotExist, TypeError, ValueError):
            raise ValidationFailed(
                _("This list does not exist."),
                code="invalid_scope",
                fields={"list_id": [_("Unknown list.")]},
            ) from None
        return {"list_id": lead_list.pk}, leads.filter(list=lead_list)
    if not isinstance(filters, dict):
        raise ValidationFailed(
            _("The filter must be an object of lead filters."),
            code="invalid_scope",
            fields={"filter": [_("Must be an object.")]},
        )
    from apps.leads.selectors import lead_filter

    parsed = parse_lead_filters(filters, user=actor)
    params = filters_to_params({k: v for k, v in parsed.items() if k != "ordering"})
    return {"filter": params}, lead_filter(tenant, parsed).order_by()


def _valid_ids(lead_ids) -> list[int]:
    if not isinstance(lead_ids, list | tuple):
        raise ValidationFailed(
            _("Lead ids must be a list."),
            code="invalid_scope",
            fields={"lead_ids": [_("Must be a list.")]},
        )
    ids = []
    for value in lead_ids:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise ValidationFailed(
                _("Lead ids must be whole numbers."),
                code="invalid_scope",
                fields={"lead_ids": [_("Not a lead id: %(value)s.") % {"value": str(value)[:40]}]},
            )
        ids.append(int(value))
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationFailed(
            _("Choose at least one lead."), code="invalid_scope", fields={"lead_ids": [_("Empty.")]}
        )
    if len(ids) > MAX_LEADS:
        raise ValidationFailed(
            _("At most %(max)s leads per run.") % {"max": f"{MAX_LEADS:,}"},
            code="too_many_leads",
            fields={"lead_ids": [_("At most %(max)s ids.") % {"max": MAX_LEADS}]},
        )
    return ids


def _chunks(ids: list[int], size: int = _CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def lead_histories(tenant, lead_ids: list[int], *, exclude_run=None) -> dict[int, list[dict]]:
    """Each lead's enriched items, newest first (what hashing.lead_input needs)."""
    out: dict[int, list[dict]] = defaultdict(list)
    for chunk in _chunks(lead_ids):
        rows = LeadEnrichment.objects.for_tenant(tenant).filter(
            lead_id__in=chunk, status=Status.ENRICHED
        )
        if exclude_run is not None:
            rows = rows.exclude(run_id=exclude_run)
        for row in rows.order_by("-pk").values("lead_id", "input_hash", "fields", "applied_fields"):
            out[row["lead_id"]].append(row)
    return out


def _busy_leads(tenant, lead_ids: list[int]) -> set[int]:
    """Leads waiting or being enriched in another live run (so one lead is never paid twice)."""
    # A pending run holds its leads until the beat resolves it (its payment may be going
    # through): a second run over them could pay twice.
    live = Q(run__status__in=(EnrichmentRunStatus.RUNNING, EnrichmentRunStatus.PENDING))
    busy: set[int] = set()
    for chunk in _chunks(lead_ids):
        busy.update(
            LeadEnrichment.objects.for_tenant(tenant)
            .filter(live, lead_id__in=chunk, status__in=(Status.PENDING, Status.RUNNING))
            .values_list("lead_id", flat=True)
        )
    return busy


def enrichment_decisions(tenant, lead_ids: list[int], *, force: bool, offline: bool) -> list[dict]:
    """What a run over `lead_ids` would do, lead by lead, without writing anything (the
    dashboard's preview): {lead_id, input_hash, billable, reason}, the same rules as a run."""
    return _decide(tenant, lead_ids, force=force, mode=_mode(offline))


def _decide(tenant, lead_ids: list[int], *, force: bool, mode: str) -> list[dict]:
    """One decision per lead: {lead_id, input_hash, billable, reason}."""
    histories = lead_histories(tenant, lead_ids)
    busy = _busy_leads(tenant, lead_ids)
    decisions = []
    for chunk in _chunks(lead_ids):
        rows = Lead.objects.for_tenant(tenant).filter(pk__in=chunk).values(*LEAD_COLUMNS)
        for lead in sorted(rows, key=lambda row: row["id"]):
            history = histories.get(lead["id"], [])
            _facts, fill, _ai, digest = lead_input(lead, history, mode=mode)
            reason = ""
            if lead["id"] in busy:
                reason = reason_busy()
            elif not fill:
                reason = reason_nothing_to_fill()
            elif not force and history and history[0]["input_hash"] == digest:
                reason = reason_unchanged()
            decisions.append(
                {
                    "lead_id": lead["id"],
                    "input_hash": digest,
                    "billable": not reason,
                    "reason": reason,
                }
            )
    return decisions


# --- starting a run --------------------------------------------------------------------------


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
    """Start an enrichment run of one scope (see the module docstring).

    Raises ValidationFailed (bad or empty scope), FeatureLocked (no `enrichment` tool),
    PaymentRequired (read-only company), PaymentDeclined / PaymentMethodRequired /
    ProviderUnavailable (the run is then declined, nothing is enriched). With
    `idempotency_key` a repeated call within a day returns the first run (or its decline).
    Call it outside a transaction: the charge is committed before the work is queued.
    """
    from apps.billing.services.lifecycle import access_ensure_writable

    ensure_feature(tenant, FEATURE)
    access_ensure_writable(tenant)
    if idempotency_key:
        idempotency_key = str(idempotency_key)[:100]
        existing = _run_for_key(tenant, idempotency_key)
        if existing is not None:
            return _replay(existing)
    scope, queryset = _scope(tenant, actor, lead_ids, list_id, filters)
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
        decisions = _decide(tenant, sorted(ids), force=bool(force), mode=_mode(offline))
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
    return _authorize_and_queue(tenant, run, actor_user)


def _run_for_key(tenant, key: str) -> EnrichmentRun | None:
    return (
        EnrichmentRun.objects.for_tenant(tenant)
        .filter(scope__idempotency_key=key, created_at__gte=timezone.now() - IDEMPOTENCY_WINDOW)
        .order_by("-created_at")
        .first()
    )


def _replay(run: EnrichmentRun) -> EnrichmentRun:
    if run.status == EnrichmentRunStatus.DECLINED:
        from apps.billing.errors import PaymentDeclined

        raise PaymentDeclined(run.failure_reason, extra={"run_id": str(run.pk)})
    return run


def _lock_tenant(tenant) -> None:
    """Serialize run starts of one tenant (PostgreSQL row lock), so that two starts never
    both take the same lead."""
    from apps.tenants.models import Tenant

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
    return run


def _charge_key(run) -> str:
    return f"enrichment-run-{run.pk}"


def _authorize(tenant, run: EnrichmentRun, actor, unit_amount: int, currency: str):
    from apps.billing.services.usage_charges import usage_charge_authorize

    return usage_charge_authorize(
        tenant=tenant,
        kind=CHARGE_KIND,
        reference=str(run.pk),
        quantity=run.leads_billable,
        unit_amount=unit_amount,
        currency=currency,
        idempotency_key=_charge_key(run),
        description=_("AI enrichment of %(count)s leads") % {"count": run.leads_billable},
        actor=actor,
    )


def _authorize_and_queue(tenant, run: EnrichmentRun, actor) -> EnrichmentRun:
    """Authorize the run's price, then queue its leads. A decline ends the run; a provider
    that does not answer leaves it pending (the card payment's outcome is unknown) and the
    beat retries the same authorization with the same key (`enrichment_runs_recover_stale`),
    so the run is never paid twice."""
    from apps.billing.services.payments import ProviderUnavailable
    from apps.billing.services.usage_charges import enrichment_unit_price

    try:
        unit = enrichment_unit_price(tenant)
        EnrichmentRun.objects.for_tenant(tenant).filter(pk=run.pk).update(
            price_amount=unit.amount * run.leads_billable, price_currency=unit.currency
        )
        charge = _authorize(tenant, run, actor, unit.amount, unit.currency)
    except ProviderUnavailable as exc:
        exc.extra = {**exc.extra, "run_id": str(run.pk)}
        raise
    except ApplicationError as exc:
        _decline(run, exc.message)
        exc.extra = {**exc.extra, "run_id": str(run.pk)}
        raise
    except Exception:
        _decline(run, _("The payment could not be authorized."))
        raise
    return _start_paid(tenant, run, charge)


def _start_paid(tenant, run: EnrichmentRun, charge) -> EnrichmentRun:
    with transaction.atomic():
        now = timezone.now()
        started = (
            EnrichmentRun.objects.for_tenant(tenant)
            .filter(pk=run.pk, status=EnrichmentRunStatus.PENDING)
            .update(
                status=EnrichmentRunStatus.RUNNING,
                started_at=now,
                usage_charge=charge,
                billing_reference=billing_reference(charge),
                price_amount=charge.amount,
                price_currency=charge.currency,
            )
        )
        if started:
            transaction.on_commit(lambda: enrichment_run_fan_out(tenant, run.pk))
    log_event(
        "enrichment_run_started",
        tenant_id=str(tenant.pk),
        run_id=str(run.pk),
        billable=run.leads_billable,
        amount=charge.amount,
        currency=charge.currency,
        mode=charge.mode,
    )
    run.refresh_from_db()
    return run


def enrichment_runs_recover_stale(now=None) -> dict[str, int]:
    """Runs left `pending` (beat): the provider did not answer the authorization, or a process
    died around it. If a card payment was started, the same authorization is retried with the
    same key — it resumes the run if the payment went through, declines it if the card was
    declined, and leaves it waiting while the provider is still down. A run that never got to
    a payment ends declined ("interrupted, nothing charged")."""
    from apps.billing.services.payments import ProviderUnavailable
    from apps.billing.services.usage_charges import usage_payment_started

    now = now or timezone.now()
    outcome = {"resumed": 0, "ended": 0, "waiting": 0}
    stale = EnrichmentRun.objects.unscoped().filter(
        status=EnrichmentRunStatus.PENDING, created_at__lt=now - RECOVER_AFTER
    )
    for run in stale.select_related("tenant", "requested_by"):
        tenant = run.tenant
        started = run.price_currency and usage_payment_started(tenant, _charge_key(run))
        if not started and not _charge_authorized(tenant, run):
            _decline(run, _("The run was interrupted before payment; nothing was charged."))
            outcome["ended"] += 1
            continue
        unit = run.price_amount // run.leads_billable if run.leads_billable else 0
        try:
            charge = _authorize(tenant, run, run.requested_by, unit, run.price_currency)
        except ProviderUnavailable:
            outcome["waiting"] += 1
            continue
        except ApplicationError as exc:
            _decline(run, exc.message)
            outcome["ended"] += 1
            continue
        if _start_paid(tenant, run, charge).status == EnrichmentRunStatus.RUNNING:
            outcome["resumed"] += 1
    return outcome


def _charge_authorized(tenant, run) -> bool:
    from apps.billing.models import UsageCharge, UsageChargeStatus

    return (
        UsageCharge.objects.for_tenant(tenant)
        .filter(idempotency_key=_charge_key(run), status=UsageChargeStatus.AUTHORIZED)
        .exists()
    )


def billing_reference(charge) -> str:
    """Something staff can look up: the provider's payment id, the credit entry
    ("credit:<id>"), else the payment or the charge itself."""
    if charge.provider_ref:
        return charge.provider_ref[:100]
    if charge.payment_id:
        return f"payment:{charge.payment_id}"
    return f"usage-charge:{charge.pk}"


def _decline(run: EnrichmentRun, reason: str) -> None:
    reason = (reason or _("The payment was declined."))[:300]
    now = timezone.now()
    with transaction.atomic():
        items = LeadEnrichment.objects.for_tenant(run.tenant).filter(
            run_id=run.pk, status=Status.PENDING
        )
        items.update(status=Status.SKIPPED, failure_reason=reason, finished_at=now)
        EnrichmentRun.objects.for_tenant(run.tenant).filter(pk=run.pk).update(
            status=EnrichmentRunStatus.DECLINED,
            failure_reason=reason,
            leads_skipped=F("leads_selected"),
            leads_enriched=0,
            leads_failed=0,
            finished_at=now,
        )
    log_event("enrichment_run_declined", tenant_id=str(run.tenant_id), run_id=str(run.pk))


def enrichment_run_fan_out(tenant, run_id, *, direct: bool = False) -> int:
    """Queue one task per waiting lead of a running run (idempotent: a task finding its row
    already taken does nothing). Big runs are queued by a task of their own (`direct` is
    that task), so the request that started the run returns at once."""
    from apps.leads.enrichment.tasks import enrich_lead_task, enrichment_fan_out_task

    items = LeadEnrichment.objects.for_tenant(tenant).filter(run_id=run_id, status=Status.PENDING)
    count = items.count()
    if count > DIRECT_FANOUT and not direct:
        enrichment_fan_out_task.apply_async((str(tenant.pk), str(run_id)), queue="ai")
        return count
    for item_id in items.order_by("pk").values_list("pk", flat=True).iterator():
        enrich_lead_task.apply_async((str(tenant.pk), item_id), queue="ai")
    return count


# --- one lead --------------------------------------------------------------------------------


def _claim(tenant, item_id: int) -> int | None:
    """pending/running -> running with attempts + 1; returns the attempt (the fencing
    token) or None when the row is finished or has used its claims."""
    items = LeadEnrichment.objects.for_tenant(tenant)
    claimed = items.filter(
        pk=item_id,
        status__in=(Status.PENDING, Status.RUNNING),
        attempts__lt=MAX_CLAIMS,
        run__status=EnrichmentRunStatus.RUNNING,
    ).update(status=Status.RUNNING, attempts=F("attempts") + 1)
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
        _count(tenant, run_id, status)
    return True


def _count(tenant, run_id, status: str) -> None:
    counter = _COUNTERS[status]
    runs = EnrichmentRun.objects.for_tenant(tenant).filter(pk=run_id)
    runs.update(**{counter: F(counter) + 1})
    finished = runs.filter(
        status=EnrichmentRunStatus.RUNNING,
        leads_selected__lte=F("leads_enriched") + F("leads_failed") + F("leads_skipped"),
    ).update(status=EnrichmentRunStatus.DONE, finished_at=timezone.now())
    if finished:
        _run_totals(tenant, run_id)
        transaction.on_commit(lambda: _settle_later(tenant, run_id))


def _run_totals(tenant, run_id) -> None:
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


def _settle_later(tenant, run_id) -> None:
    from apps.leads.enrichment.tasks import enrichment_settle_task

    enrichment_settle_task.apply_async((str(tenant.pk), str(run_id)), queue="billing")


def enrichment_run_settle(tenant, run_id) -> None:
    """Settle a finished run's charge: only the leads really enriched are paid for (failed
    and skipped ones are given back). Idempotent (the billing engine's settle is)."""
    from apps.billing.services.usage_charges import usage_charge_settle

    run = EnrichmentRun.objects.for_tenant(tenant).select_related("usage_charge").get(pk=run_id)
    if run.status != EnrichmentRunStatus.DONE or run.usage_charge is None:
        return
    charge = usage_charge_settle(
        run.usage_charge,
        delivered=min(run.leads_enriched, run.usage_charge.quantity),
        reason=_("AI enrichment: leads not enriched"),
    )
    log_event(
        "enrichment_run_settled",
        tenant_id=str(tenant.pk),
        run_id=str(run.pk),
        delivered=run.leads_enriched,
        given_back=charge.refunded_quantity,
    )


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
    mode = _mode(run.offline)
    history = lead_histories(tenant, [lead.pk], exclude_run=run.pk).get(lead.pk, [])
    facts, fill, _ai_fields, digest = lead_input(_as_row(lead), history, mode=mode)
    if not fill:
        _finish(tenant, item_id, token, Status.SKIPPED, failure_reason=reason_nothing_to_fill())
        return Status.SKIPPED
    request = build_enrichment_request(facts, tenant_id=tenant.pk)
    try:
        result = (client or enrichment_client()).structured(request)
    except ProviderError as exc:
        if exc.code == "rate_limit_wait":
            # The shared limiter waited its maximum: give the row back and come back later.
            # The claim is handed back too: waiting for a slot is not a lost worker.
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
    from apps.ai.models import AIUsage

    cost = AIUsage.objects.for_tenant(tenant).filter(pk=usage_id).values_list("cost", flat=True)
    return cost.first() or Decimal(0)


def _apply(
    tenant, item: LeadEnrichment, token: int, lead_id: int, result, history, digest: str
) -> str:
    """Write the answer: the row (fenced by the claim), the lead, its timeline, the run's
    counters — all or nothing. The row keeps the hash of the input the prompt was really
    built from (the lead may have changed since the run started)."""
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
            _as_row(lead), history, mode=_mode(run.offline)
        )
        done = _finish(
            tenant,
            item.pk,
            token,
            Status.ENRICHED,
            failure_reason="",
            input_hash=digest,
            fields=values,
            raw_response=result.raw or {},
            model_version=(result.model_version or "")[:100],
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost=result.cost,
        )
        if not done:
            return "superseded"  # another attempt took the row: it writes, not us
        applied = lead_enrichment_apply(lead, values, ai_fields=ai_fields, run_id=run.pk)
        LeadEnrichment.objects.for_tenant(tenant).filter(pk=item.pk).update(
            applied_fields=applied.applied
        )
        timeline_record(lead, applied, run=run, actor_id=run.requested_by_id)
    return Status.ENRICHED
