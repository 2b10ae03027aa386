"""Paying for a run before any work: authorize its price through billing, then queue it.

The price (the plan's enrichment price × billable leads) is authorized with the key
`enrichment-run-<run id>` (credit balance, saved card, or metered in arrears). A decline ends
the run (every lead skipped with the reason, nothing queued); a provider that does not answer
leaves it pending, and the beat (`enrichment_runs_recover_stale`) retries the same
authorization with the same key until the card's outcome is known — never a second payment.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.models import UsageCharge, UsageChargeStatus
from apps.billing.services.payments import ProviderUnavailable
from apps.billing.services.usage_charges import (
    enrichment_unit_price,
    usage_charge_authorize,
    usage_payment_started,
)
from apps.core.errors import ApplicationError
from apps.core.events import log_event
from apps.core.stored_text import stored_text
from apps.enrichment.models import EnrichmentRun, EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.services.common import CHARGE_KIND, RECOVER_AFTER, Status
from apps.enrichment.services.queue import enrichment_run_fan_out


def charge_key(run) -> str:
    return f"enrichment-run-{run.pk}"


def _authorize(tenant, run: EnrichmentRun, actor, unit_amount: int, currency: str):
    return usage_charge_authorize(
        tenant=tenant,
        kind=CHARGE_KIND,
        reference=str(run.pk),
        quantity=run.leads_billable,
        unit_amount=unit_amount,
        currency=currency,
        idempotency_key=charge_key(run),
        description=stored_text(
            gettext_noop("AI enrichment of %(count)s leads"), count=run.leads_billable
        ),
        actor=actor,
    )


def enrichment_run_authorize(tenant, run: EnrichmentRun, actor) -> EnrichmentRun:
    """Authorize the run's price, then queue its leads. A decline ends the run; a provider
    that does not answer leaves it pending (the card payment's outcome is unknown) and the
    beat retries the same authorization with the same key (`enrichment_runs_recover_stale`),
    so the run is never paid twice."""
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
        enrichment_run_decline(run, exc.message)
        exc.extra = {**exc.extra, "run_id": str(run.pk)}
        raise
    except Exception:
        enrichment_run_decline(run, _("The payment could not be authorized."))
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


def enrichment_run_start_unpaid(tenant, run: EnrichmentRun) -> EnrichmentRun:
    """An offline run (no AI key: the labelled heuristic) takes no money at all — no
    authorization, no payment, no charge row: it starts at once with a price of 0."""
    with transaction.atomic():
        started = (
            EnrichmentRun.objects.for_tenant(tenant)
            .filter(pk=run.pk, status=EnrichmentRunStatus.PENDING)
            .update(
                status=EnrichmentRunStatus.RUNNING,
                started_at=timezone.now(),
                price_amount=0,
                price_currency="",
            )
        )
        if started:
            transaction.on_commit(lambda: enrichment_run_fan_out(tenant, run.pk))
    log_event(
        "enrichment_run_started",
        tenant_id=str(tenant.pk),
        run_id=str(run.pk),
        billable=run.leads_billable,
        amount=0,
        currency="",
        mode="offline",
    )
    run.refresh_from_db()
    return run


def enrichment_runs_recover_stale(now=None) -> dict[str, int]:
    """Runs left `pending` (beat): the provider did not answer the authorization, or a process
    died around it. If a card payment was started, the same authorization is retried with the
    same key — it resumes the run if the payment went through, declines it if the card was
    declined, and leaves it waiting while the provider is still down. A run that never got to
    a payment ends declined ("interrupted, nothing charged")."""
    now = now or timezone.now()
    outcome = {"resumed": 0, "ended": 0, "waiting": 0}
    stale = EnrichmentRun.objects.unscoped().filter(
        status=EnrichmentRunStatus.PENDING, created_at__lt=now - RECOVER_AFTER
    )
    for run in stale.select_related("tenant", "requested_by"):
        tenant = run.tenant
        if run.offline:  # never paid for: it only has to start
            if _start_unpaid_later(tenant, run):
                outcome["resumed"] += 1
            continue
        started = run.price_currency and usage_payment_started(tenant, charge_key(run))
        if not started and not _charge_authorized(tenant, run):
            enrichment_run_decline(
                run, _("The run was interrupted before payment; nothing was charged.")
            )
            outcome["ended"] += 1
            continue
        unit = run.price_amount // run.leads_billable if run.leads_billable else 0
        try:
            charge = _authorize(tenant, run, run.requested_by, unit, run.price_currency)
        except ProviderUnavailable:
            outcome["waiting"] += 1
            continue
        except ApplicationError as exc:
            enrichment_run_decline(run, exc.message)
            outcome["ended"] += 1
            continue
        if _start_paid(tenant, run, charge).status == EnrichmentRunStatus.RUNNING:
            outcome["resumed"] += 1
    return outcome


def _start_unpaid_later(tenant, run) -> bool:
    return enrichment_run_start_unpaid(tenant, run).status == EnrichmentRunStatus.RUNNING


def _charge_authorized(tenant, run) -> bool:
    return (
        UsageCharge.objects.for_tenant(tenant)
        .filter(idempotency_key=charge_key(run), status=UsageChargeStatus.AUTHORIZED)
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


def enrichment_run_decline(run: EnrichmentRun, reason: str) -> None:
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
            leads_nothing_found=0,
            leads_failed=0,
            finished_at=now,
        )
    log_event("enrichment_run_declined", tenant_id=str(run.tenant_id), run_id=str(run.pk))
