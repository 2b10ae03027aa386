"""Which leads a run takes, and what it does with each (the same rules for the preview).

A lead is billable unless it is busy in another live run, has nothing left to fill, or is
unchanged since its last enrichment (its input hash, see hashing.py) and the run is not forced.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed
from apps.core.personal_data import processing_refused
from apps.enrichment.models import EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.services.common import (
    ANSWERED,
    MAX_LEADS,
    Status,
    chunks,
    mode_of,
    reason_busy,
    reason_nothing_to_fill,
    reason_processing_refused,
    reason_unchanged,
)
from apps.enrichment.services.hashing import LEAD_COLUMNS, lead_input
from apps.leads import selectors as lead_selectors
from apps.leads.filters import filters_to_params, parse_lead_filters
from apps.leads.models import Lead, LeadList


def selection_scope(tenant, actor, lead_ids, list_id, filters) -> tuple[dict, Any]:
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
    parsed = parse_lead_filters(filters, user=actor)
    params = filters_to_params({k: v for k, v in parsed.items() if k != "ordering"})
    return {"filter": params}, lead_selectors.lead_filter(tenant, parsed).order_by()


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


def lead_histories(tenant, lead_ids: list[int], *, exclude_run=None) -> dict[int, list[dict]]:
    """Each lead's enriched items, newest first (what hashing.lead_input needs)."""
    out: dict[int, list[dict]] = defaultdict(list)
    for chunk in chunks(lead_ids):
        rows = LeadEnrichment.objects.for_tenant(tenant).filter(
            lead_id__in=chunk, status__in=ANSWERED
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
    for chunk in chunks(lead_ids):
        busy.update(
            LeadEnrichment.objects.for_tenant(tenant)
            .filter(live, lead_id__in=chunk, status__in=(Status.PENDING, Status.RUNNING))
            .values_list("lead_id", flat=True)
        )
    return busy


def enrichment_decisions(tenant, lead_ids: list[int], *, force: bool, offline: bool) -> list[dict]:
    """What a run over `lead_ids` would do, lead by lead, without writing anything (the
    dashboard's preview): {lead_id, input_hash, billable, reason}, the same rules as a run."""
    return decide(tenant, lead_ids, force=force, mode=mode_of(offline))


def decide(tenant, lead_ids: list[int], *, force: bool, mode: str) -> list[dict]:
    """One decision per lead: {lead_id, input_hash, billable, reason}."""
    histories = lead_histories(tenant, lead_ids)
    busy = _busy_leads(tenant, lead_ids)
    refused: set[int] = set()  # withdrawn consent (apps/privacy): never enriched
    for chunk in chunks(lead_ids):
        refused |= processing_refused(tenant.pk, chunk)
    decisions = []
    for chunk in chunks(lead_ids):
        rows = Lead.objects.for_tenant(tenant).filter(pk__in=chunk).values(*LEAD_COLUMNS)
        for lead in sorted(rows, key=lambda row: row["id"]):
            history = histories.get(lead["id"], [])
            _facts, fill, _ai, digest = lead_input(lead, history, mode=mode)
            reason = ""
            if lead["id"] in refused:
                reason = reason_processing_refused()
            elif lead["id"] in busy:
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
