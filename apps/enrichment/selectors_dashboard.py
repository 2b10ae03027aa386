"""Reads of the enrichment dashboard: what the user selected (a lead, the table's selection,
the filter, a list), the confirmation preview (how many leads, which are skipped and why, the
price), recent runs and one run's per-lead rows, page by page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.billing.selectors import subscription_current
from apps.billing.services.credits import credit_balance
from apps.billing.services.usage_charges import enrichment_unit_price
from apps.core.errors import ValidationFailed
from apps.core.money import Money
from apps.enrichment import services as enrichment
from apps.enrichment.models import (
    EnrichmentRun,
    EnrichmentRunStatus,
    LeadEnrichment,
    LeadEnrichmentStatus,
)
from apps.enrichment.selectors import enrichment_items, enrichment_runs
from apps.leads import selectors
from apps.leads.filters import FILTER_KEYS, parse_lead_filters
from apps.leads.models import Lead

RUNS_PER_PAGE = 20
ITEMS_PER_PAGE = 50
MAX_SELECTED_IDS = 1000
ITEM_COLUMNS = (
    "pk", "run_id", "status", "failure_reason", "fields", "applied_fields", "new_fields",
    "kept_fields", "finished_at",
    "created_at", "billable", "lead__id", "lead__name", "lead__email", "lead__phone",
)  # fmt: skip


@dataclass
class Scope:
    """The leads a run is asked for, as the user chose them; `hidden` re-posts it."""

    kind: str  # "lead" | "ids" | "list" | "filter"
    lead_ids: list[int] | None = None
    list_id: int | None = None
    filter_params: dict[str, list[str]] | None = None  # raw query parameters
    filters: dict[str, Any] | None = None  # parsed (apps.leads.filters)
    label: str = ""
    hidden: list[tuple[str, str]] = field(default_factory=list)

    def as_kwargs(self) -> dict:
        """The selection in the terms of `enrichment_run_start`."""
        if self.kind == "list":
            return {"list_id": self.list_id}
        if self.kind == "filter":
            return {"filters": self.filter_params}
        return {"lead_ids": self.lead_ids}

    def leads(self, tenant):
        if self.kind == "list":
            return Lead.objects.for_tenant(tenant).filter(list_id=self.list_id)
        if self.kind == "filter":
            return selectors.lead_filter(tenant, self.filters).order_by()
        return Lead.objects.for_tenant(tenant).filter(pk__in=self.lead_ids)


def _ids(values) -> list[int]:
    try:
        ids = sorted({int(value) for value in values})
    except (TypeError, ValueError):
        raise ValidationFailed(_("The selection is not valid; reload the page.")) from None
    if not ids:
        raise ValidationFailed(_("Select at least one lead."))
    if len(ids) > MAX_SELECTED_IDS:
        raise ValidationFailed(
            _("Select at most %(max)s leads, or enrich everything matching the filter.")
            % {"max": MAX_SELECTED_IDS}
        )
    return ids


def scope_from_params(tenant, params, *, user=None) -> Scope:
    """`scope=lead&lead_id=…`, `scope=ids&ids=…`, `scope=list&list_id=…` or `scope=filter`
    with the table's filter parameters. Leads and lists of another company answer 404."""
    kind = params.get("scope", "")
    if kind == "lead":
        lead = selectors.lead_get(tenant, _ids([params.get("lead_id")])[0])
        name = lead.name or lead.email or lead.phone or f"#{lead.pk}"
        return Scope(
            kind, lead_ids=[lead.pk], label=_("the lead %(name)s") % {"name": name},
            hidden=[("scope", kind), ("lead_id", str(lead.pk))],
        )  # fmt: skip
    if kind == "ids":
        ids = _ids(params.getlist("ids") if hasattr(params, "getlist") else params.get("ids"))
        label = ngettext("%(count)s selected lead", "%(count)s selected leads", len(ids))
        hidden = [("scope", kind), *(("ids", str(i)) for i in ids)]
        return Scope(kind, lead_ids=ids, label=label % {"count": len(ids)}, hidden=hidden)
    if kind == "list":
        item = selectors.leadlist_get(tenant, params.get("list_id"))
        return Scope(
            kind, list_id=item.pk, label=_("the list “%(name)s”") % {"name": item.name},
            hidden=[("scope", kind), ("list_id", str(item.pk))],
        )  # fmt: skip
    if kind == "filter":
        return _filter_scope(params, user)
    raise ValidationFailed(_("Choose what to enrich: a lead, a selection, a filter or a list."))


def _filter_scope(params, user) -> Scope:
    raw: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        if key == "ordering":
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else params.get(key) or []
        values = [values] if isinstance(values, str) else values
        values = [str(v).strip() for v in values if str(v).strip()]
        if values:
            raw[key] = values
    filters = parse_lead_filters(raw, user=user)
    hidden = [("scope", "filter"), *((k, v) for k, values in raw.items() for v in values)]
    label = _("all leads matching the filter") if raw else _("all leads")
    return Scope("filter", filter_params=raw, filters=filters, label=label, hidden=hidden)


# --- the preview --------------------------------------------------------------------------


@dataclass
class Preview:
    selected: int
    billable: int
    skipped: list[tuple[str, int]]  # (reason, count)
    unit: Money | None  # None: the plan sets no price (included)
    total: Money | None
    billing: str  # "included" | "prepaid" | "arrears" | "offline" (free)
    offline: bool
    credit: Money | None = None
    has_card: bool = False
    too_many: bool = False

    @property
    def skipped_total(self) -> int:
        return sum(count for _reason, count in self.skipped)

    @property
    def credit_covers(self) -> bool:
        return bool(self.credit and self.total and self.total <= self.credit)


def enrichment_preview(tenant, scope: Scope, *, force: bool = False) -> Preview:
    """How many of the selected leads a run would enrich (and pay for), what it would skip and
    why, and the price — decided by the same rules as `enrichment_run_start`."""
    ids = sorted(scope.leads(tenant).values_list("pk", flat=True)[: enrichment.MAX_LEADS + 1])
    offline = enrichment.enrichment_offline()
    # The run's own per-lead decision (hash, busy, nothing to fill), read-only here.
    decisions = enrichment.enrichment_decisions(tenant, ids, force=force, offline=offline)
    reasons = Counter(d["reason"] for d in decisions if not d["billable"])
    billable = sum(1 for d in decisions if d["billable"])
    unit, billing, credit, has_card = _price(tenant)
    if offline:  # the heuristic is never paid for
        unit, billing, credit, has_card = None, "offline", None, False
    return Preview(
        selected=len(decisions),
        billable=billable,
        skipped=sorted(reasons.items(), key=lambda pair: -pair[1]),
        unit=unit,
        total=unit * billable if unit is not None else None,
        billing=billing,
        offline=offline,
        credit=credit,
        has_card=has_card,
        too_many=len(ids) > enrichment.MAX_LEADS,
    )


def _price(tenant) -> tuple[Money | None, str, Money | None, bool]:
    """(unit price or None when included, how it is paid, credit balance, a saved card?)"""
    unit = enrichment_unit_price(tenant)
    if not unit.amount:
        return None, "included", None, False
    subscription = subscription_current(tenant)
    arrears = (
        subscription is not None
        and subscription.plan.usage_billing == "arrears"
        and subscription.provider == "stripe"
    )
    if arrears:
        return unit, "arrears", None, False
    has_card = bool(subscription and subscription.payment_method_id and subscription.provider)
    return unit, "prepaid", credit_balance(tenant, unit.currency), has_card


# --- runs and their rows -------------------------------------------------------------------


def run_finished(run: EnrichmentRun) -> bool:
    """Nothing more will change on the run's page: declined, or done with its charge settled
    (the settle runs after the last lead, in a task of its own: until then the page polls,
    or it would keep showing the whole reservation as the charge)."""
    if run.status == EnrichmentRunStatus.DECLINED:
        return True
    settled = run.usage_charge_id is None or run.settled_at is not None
    return run.status == EnrichmentRunStatus.DONE and settled


def enrichment_runs_page(tenant, *, page=None) -> Page:
    """The company's runs, newest first, RUNS_PER_PAGE at a time."""
    return Paginator(enrichment_runs(tenant), RUNS_PER_PAGE).get_page(page)


def enrichment_items_page(tenant, run: EnrichmentRun, *, status: str = "", page=None) -> Page:
    """One page of the run's per-lead rows (a run may have thousands), lead joined."""
    items = enrichment_items(tenant, run, status=status or None).only(*ITEM_COLUMNS)
    return Paginator(items, ITEMS_PER_PAGE).get_page(page)


def enrichment_status_counts(tenant, run: EnrichmentRun) -> dict[str, int]:
    """{status: count} over the run's rows, every status present (one query)."""
    rows = (
        LeadEnrichment.objects.for_tenant(tenant)
        .filter(run=run)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    counts = dict.fromkeys(LeadEnrichmentStatus.values, 0)
    counts.update({row["status"]: row["count"] for row in rows})
    return counts


def enrichment_rows_for_lead(tenant, lead, *, limit: int = 5) -> list[LeadEnrichment]:
    """The lead's latest enrichment rows with their runs (for the lead page)."""
    return list(
        LeadEnrichment.objects.for_tenant(tenant)
        .filter(lead=lead)
        .select_related("run")
        .order_by("-created_at", "-pk")[:limit]
    )
