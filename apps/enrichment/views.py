"""Dashboard pages of AI enrichment: the confirmation (count, what is skipped, the price) for a
lead, the table's selection or filter, or a list; the run page with live per-lead statuses
(HTMX polling every 2 s until the run is over); the recent runs.

Operators and administrators start runs; analysts look at them. The work and the charge are in
services/ and tasks.py; this module only parses, calls and renders.
"""

from __future__ import annotations

import uuid

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, ValidationFailed
from apps.enrichment import selectors_dashboard as dashboard
from apps.enrichment.models import LeadEnrichmentStatus
from apps.enrichment.selectors import enrichment_run_get, item_outcome, run_charge
from apps.enrichment.services import enrichment_run_start
from apps.features.guards import FeatureLocked, feature_locked_response, feature_required
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role

CONFIRM_PARTIAL = "leads/enrichment/_confirm.html"
RUN_PARTIAL = "leads/enrichment/_run_live.html"


# --- confirmation and start --------------------------------------------------------------


def _confirm_response(request, scope: dashboard.Scope, *, force: bool, error="", status=200):
    preview = dashboard.enrichment_preview(request.tenant, scope, force=force)
    context = {
        "preview": preview,
        "scope": scope,
        "force": force,
        "error": error,
        "request_key": uuid.uuid4().hex,  # a double submit starts one run, not two
    }
    template = CONFIRM_PARTIAL if request.htmx else "leads/enrichment/confirm.html"
    return render(request, template, context, status=status)


@dashboard_view(Role.OPERATOR)
@feature_required("enrichment")
def enrichment_confirm(request, tenant_slug):
    """What a run would do — the count, the skipped leads and why, the price — and the button
    that starts it. GET for a lead, a list or the filter; POST for the table's selection."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        scope = dashboard.scope_from_params(request.tenant, params, user=request.user)
    except ValidationFailed as error:
        return _scope_error(request, error)
    return _confirm_response(request, scope, force=params.get("force") == "1")


def _scope_error(request, error: ValidationFailed):
    """Nothing (or nothing valid) selected. HTMX swaps 422 in place; a page answers 400."""
    template = CONFIRM_PARTIAL if request.htmx else "leads/enrichment/confirm.html"
    context = {"error": error.message, "preview": None}
    return render(request, template, context, status=422 if request.htmx else 400)


@require_POST
@dashboard_view(Role.OPERATOR)
@feature_required("enrichment")
def enrichment_start(request, tenant_slug):
    """Authorize the charge and start the run, then off to the run page. A declined card or
    a missing payment method re-renders the confirmation with the reason (nothing started)."""
    try:
        scope = dashboard.scope_from_params(request.tenant, request.POST, user=request.user)
    except ValidationFailed as error:
        return _scope_error(request, error)
    force = request.POST.get("force") == "1"
    key = (request.POST.get("request_key") or "")[:40]
    try:
        run = enrichment_run_start(
            tenant=request.tenant,
            actor=request.user,
            force=force,
            idempotency_key=f"dashboard-{request.user.pk}-{key}" if key else None,
            **scope.as_kwargs(),
        )
    except FeatureLocked as error:
        return feature_locked_response(request, error)
    except ApplicationError as error:
        return _confirm_response(
            request, scope, force=force, error=error.message, status=error.status_code
        )
    return redirect("leads:enrichment_run", tenant_slug=request.tenant.slug, run_id=run.pk)


# --- runs ----------------------------------------------------------------------------------


def _run_context(request, run) -> dict:
    status = request.GET.get("status", "")
    if status not in LeadEnrichmentStatus.values:
        status = ""
    page = dashboard.enrichment_items_page(
        request.tenant, run, status=status, page=request.GET.get("page")
    )
    items = list(page.object_list)
    for item in items:
        item.outcome = item_outcome(item)
    return {
        "run": run,
        "charge": run_charge(run),
        "page": page,
        "items": items,
        "status_filter": status,
        "status_counts": dashboard.enrichment_status_counts(request.tenant, run),
        "status_choices": LeadEnrichmentStatus.choices,
        "finished": dashboard.run_finished(run),
    }


@dashboard_view()
def enrichment_run(request, tenant_slug, run_id):
    """One run: progress, totals, the charge, and every lead's status (paged)."""
    run = enrichment_run_get(request.tenant, run_id)
    context = _run_context(request, run)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, RUN_PARTIAL, context)
    return render(request, "leads/enrichment/run.html", context)


@dashboard_view()
def enrichment_runs(request, tenant_slug):
    """The recent runs of the company, newest first."""
    page = dashboard.enrichment_runs_page(request.tenant, page=request.GET.get("page"))
    return render(request, "leads/enrichment/runs.html", {"page": page, "runs": page.object_list})
