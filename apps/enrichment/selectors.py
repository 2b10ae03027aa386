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
        .select_related("requested_by", "usage_charge")
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
