"""Reading enrichment runs and their per-lead rows (always within one tenant)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from apps.enrichment.models import EnrichmentRun, LeadEnrichment

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def enrichment_runs(tenant) -> QuerySet:
    """The tenant's runs, newest first."""
    return (
        EnrichmentRun.objects.for_tenant(tenant)
        .select_related("requested_by", "usage_charge", "usage_charge__payment")
        .order_by("-created_at")
    )


def enrichment_run_get(tenant, run_id) -> EnrichmentRun:
    """A run of the tenant; another tenant's or an unknown id raises Http404."""
    try:
        run_uuid = uuid.UUID(str(run_id))
    except (TypeError, ValueError):
        raise Http404 from None
    try:
        return enrichment_runs(tenant).get(pk=run_uuid)
    except EnrichmentRun.DoesNotExist:
        raise Http404 from None


def enrichment_runs_for_lead(tenant, lead) -> QuerySet:
    """A lead's enrichment rows (one per run that included it), newest first."""
    lead_id = getattr(lead, "pk", lead)
    return (
        LeadEnrichment.objects.for_tenant(tenant)
        .filter(lead_id=lead_id)
        .select_related("run")
        .order_by("-pk")
    )


def enrichment_items(tenant, run, *, status: str | None = None) -> QuerySet:
    """A run's per-lead rows in a stable order, optionally of one status."""
    items = LeadEnrichment.objects.for_tenant(tenant).filter(run_id=getattr(run, "pk", run))
    if status:
        items = items.filter(status=status)
    return items.select_related("lead").order_by("pk")


@dataclass
class ItemPage:
    results: list[LeadEnrichment]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def enrichment_items_page(
    tenant, run, *, page=1, page_size=DEFAULT_PAGE_SIZE, status: str | None = None
) -> ItemPage:
    """One page of a run's rows (page numbers from 1; sizes up to MAX_PAGE_SIZE)."""
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        page = 1
    try:
        page_size = min(MAX_PAGE_SIZE, max(1, int(page_size)))
    except (TypeError, ValueError):
        page_size = DEFAULT_PAGE_SIZE
    items = enrichment_items(tenant, run, status=status)
    total = items.count()
    # Past the last page: an empty page, without an OFFSET the database cannot hold.
    page = min(page, max(1, -(-total // page_size)) + 1)
    start = (page - 1) * page_size
    rows = list(items[start : start + page_size]) if start < total else []
    return ItemPage(rows, page, page_size, total)


@dataclass
class ItemOutcome:
    """What one lead's answer did, field by field: newly determined (paid for), confirmed
    (an earlier AI value, unchanged), kept (the lead already had it), not determined."""

    new: list[tuple[str, str]]
    confirmed: list[tuple[str, str]]
    kept: list[str]
    not_determined: list[str]


def item_outcome(item: LeadEnrichment) -> ItemOutcome:
    """The outcome of one row. Rows written before the fair-charge fields (no `new_fields`)
    count what they applied as new."""
    fields = item.fields or {}
    applied = list(item.applied_fields or [])
    kept = list(item.kept_fields or [])
    new = list(item.new_fields or []) or (applied if item.status == "enriched" else [])
    return ItemOutcome(
        new=[(name, fields.get(name) or "") for name in new],
        confirmed=[(name, fields.get(name) or "") for name in applied if name not in new],
        kept=kept,
        not_determined=[
            name
            for name, value in fields.items()
            if value is None and name not in kept and name not in applied
        ],
    )


@dataclass
class RunCharge:
    """The money side of a run as its page and the API show it."""

    free: bool  # offline heuristic or included: nothing is charged
    reserved: int  # authorized up front (the maximum), minor units
    charged: int  # what the run costs after its settle (reserved while running)
    given_back: int
    currency: str
    paid_from: str  # the charge's mode label ("" when nothing was charged)
    payment_url: str  # the provider's confirmation page, when it has one


def run_charge(run: EnrichmentRun) -> RunCharge:
    """Reserved, charged and given back for one run (its charge joined by `enrichment_runs`)."""
    charge = run.usage_charge
    if charge is None:
        return RunCharge(run.offline or not run.price_amount, 0, 0, 0, run.price_currency,
                         "", "")  # fmt: skip
    payment = charge.payment
    return RunCharge(
        free=charge.amount == 0,
        reserved=charge.amount,
        charged=charge.net_amount,
        given_back=charge.refunded_amount,
        currency=charge.currency,
        paid_from=str(charge.get_mode_display()),
        payment_url=(payment.confirmation_url if payment is not None else "") or "",
    )
