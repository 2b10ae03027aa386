"""Dashboard pages of leads: the table (filters, sorting, keyset pages, bulk and inline actions,
export) and the lead detail (fields, actions, timeline, work). Lists: views_lists.py.

Analysts read and export; operators and administrators work leads. Every write goes through
apps.leads.services; every read through apps.leads.selectors.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, ValidationFailed
from apps.features.guards import feature_required
from apps.leads import selectors, services
from apps.leads.export import CONTENT_TYPES, export_response
from apps.leads.filters import DEFAULT_ORDERING, FILTER_KEYS, parse_lead_filters
from apps.leads.forms import (
    BULK_CHOICES,
    AssignForm,
    BulkForm,
    EscalateForm,
    LeadFilterForm,
    MoveForm,
    NoteForm,
    StatusForm,
)
from apps.leads.models import Lead, LeadStatus, Source
from apps.leads.panels import lead_panels
from apps.leads.timeline_display import describe_entry
from apps.tenants.dashboard import client_redirect, dashboard_view, first_form_error
from apps.tenants.roles import Role, role_at_least
from apps.tenants.selectors import team_list

PAGE_SIZE = 50
FILTER_CHOICES_LIMIT = 300
RESULTS_PARTIAL = "leads/_results.html"
ROW_PARTIAL = "leads/_row.html"
DETAIL_PARTIAL = "leads/_detail_body.html"
# column → the ordering a first click on its header asks for
SORTABLE = {"name": "name", "status": "status", "created_at": "-created_at"}
ENRICHABLE = ("company", "role", "industry", "company_size", "website", "pain_point")


def can_work(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_at_least(membership.role, Role.OPERATOR)


def _index_url(request, query: str = "") -> str:
    url = reverse("leads:index", kwargs={"tenant_slug": request.tenant.slug})
    return f"{url}?{query}" if query else url


# --- the table ------------------------------------------------------------------------------


def _filter_pairs(params, skip=()) -> list[tuple[str, str]]:
    """The filter parameters that carry a value, in a stable order (for links and the URL)."""
    pairs = []
    for key in FILTER_KEYS:
        if key in skip:
            continue
        for value in params.getlist(key) if hasattr(params, "getlist") else []:
            value = value.strip()
            if value and not (key == "ordering" and value == DEFAULT_ORDERING):
                pairs.append((key, value))
    return pairs


def _parse_filters(request, params) -> tuple[dict, dict]:
    """Filters from the parameters; bad ones are dropped and reported, the rest still apply."""
    try:
        return parse_lead_filters(params, user=request.user), {}
    except ValidationFailed as exc:
        errors = exc.fields
    good = {key: params.getlist(key) for key in FILTER_KEYS if key not in errors}
    try:
        return parse_lead_filters(good, user=request.user), errors
    except ValidationFailed:
        return {"ordering": DEFAULT_ORDERING}, errors


def _sort_links(pairs, ordering: str) -> dict[str, dict]:
    base = [(k, v) for k, v in pairs if k != "ordering"]
    links = []
    for column, first in SORTABLE.items():
        current = ordering.lstrip("-") == column
        descending = ordering.startswith("-")
        target = (ordering[1:] if descending else f"-{column}") if current else first
        query = base + ([] if target == DEFAULT_ORDERING else [("ordering", target)])
        sort = ("descending" if descending else "ascending") if current else "none"
        links.append({"column": column, "query": urlencode(query), "sort": sort})
    return {link["column"]: link for link in links}


def _results_context(request, params, **extra) -> dict:
    tenant = request.tenant
    filters, errors = _parse_filters(request, params)
    cursor = (params.get("cursor") or "").strip() or None
    try:
        page = selectors.lead_page(tenant, filters, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        errors["cursor"] = [_("The page link is out of date; showing the first page.")]
        cursor, page = None, selectors.lead_page(tenant, filters, limit=PAGE_SIZE)
    pairs = _filter_pairs(params, skip=errors)
    query = urlencode(pairs)
    filtered = any(key != "ordering" for key in filters)
    has_leads = bool(page.results or filtered or cursor) or (
        Lead.objects.for_tenant(tenant).exists()
    )
    worker = can_work(request)
    context = {
        "page": page,
        "leads": page.results,
        "query": query,
        "page_query": urlencode([*pairs, ("cursor", cursor)]) if cursor else query,
        "next_query": urlencode([*pairs, ("cursor", page.next_cursor)]),
        "previous_query": urlencode([*pairs, ("cursor", page.previous_cursor)]),
        "cursor": cursor or "",
        "ordering": filters.get("ordering", DEFAULT_ORDERING),
        "sort": _sort_links(pairs, filters.get("ordering", DEFAULT_ORDERING)),
        "filtered": filtered,
        "has_leads": has_leads,
        "filter_errors": [m for messages_ in errors.values() for m in messages_],
        "can_work": worker,
        "status_choices": LeadStatus.choices,
        "bulk_choices": BULK_CHOICES,
        "selected_ids": set(),
        **extra,
    }
    if worker and page.results:
        context["lists"] = list(selectors.leadlist_list(tenant))
        context["members"] = list(team_list(tenant))
    return context


@dashboard_view()
def lead_index(request, tenant_slug):
    context = _results_context(request, request.GET)
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, RESULTS_PARTIAL, context)
        response["HX-Push-Url"] = _index_url(request, context["page_query"])
        return response
    tenant = request.tenant
    lists = context["lists"] if "lists" in context else list(selectors.leadlist_list(tenant))
    members = context["members"] if "members" in context else list(team_list(tenant))
    context["filter_form"] = LeadFilterForm(
        request.GET,
        lists=lists,
        members=members,
        customers=selectors.customers_list(tenant)[:FILTER_CHOICES_LIMIT],
        products=selectors.products_list(tenant)[:FILTER_CHOICES_LIMIT],
    )
    return render(request, "leads/index.html", context)


def _results_response(request, params, *, status: int = 200, **extra):
    context = _results_context(request, params, **extra)
    return render(request, RESULTS_PARTIAL, context, status=status)


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_bulk(request, tenant_slug):
    """Status, move, assign or delete for the selected rows; delete asks to confirm first."""
    tenant = request.tenant
    form = BulkForm(request.POST, lists=selectors.leadlist_list(tenant), members=team_list(tenant))
    if not form.is_valid():
        return _bulk_done(request, error=first_form_error(form), status=400)
    data = form.cleaned_data
    ids = data["ids"]
    if data["action"] == "delete" and not data["confirm"]:
        return _bulk_done(request, confirm_delete=ids, selected_ids=set(ids), bulk_action="delete")
    try:
        result = services.leads_bulk(
            tenant=tenant, actor=request.user, action=data["action"], value=form.value(), ids=ids
        )
    except ApplicationError as error:
        return _bulk_done(request, error=error.message, status=error.status_code)
    return _bulk_done(request, notice=_bulk_notice(data["action"], result))


def _bulk_done(request, *, status: int = 200, **extra):
    if request.htmx:
        return _results_response(request, request.POST, status=status, **extra)
    if extra.get("error"):
        messages.error(request, extra["error"])
    elif extra.get("notice"):
        messages.success(request, extra["notice"])
    elif extra.get("confirm_delete"):
        messages.warning(request, _("Turn on JavaScript to delete leads from the table."))
    return redirect(_index_url(request))


def _bulk_notice(action: str, result) -> str:
    count = result.changed
    if action == "delete":
        return ngettext("%(count)s lead deleted.", "%(count)s leads deleted.", count) % {
            "count": count
        }
    if count == 0:
        return _("Nothing to change: the selected leads already are like that.")
    return ngettext("%(count)s lead updated.", "%(count)s leads updated.", count) % {"count": count}


@dashboard_view()
@feature_required("export")
def lead_export(request, tenant_slug):
    """The current filter as CSV or XLSX, streamed (analysts and up)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in CONTENT_TYPES:
        raise ValidationFailed(_("Choose CSV or XLSX."))
    filters = parse_lead_filters(request.GET, user=request.user)
    return export_response(selectors.lead_filter(request.tenant, filters), fmt)


# --- one lead ---------------------------------------------------------------------------------


def _fields(lead) -> list[dict]:
    """(label, value) rows of the detail page; enrichable fields say "not determined"."""
    rows = []
    for name in ("email", "phone", "company", "role", "industry", "company_size", "website",
                 "pain_point"):  # fmt: skip
        field = Lead._meta.get_field(name)
        rows.append(
            {
                "name": name,
                "label": field.verbose_name,
                "value": getattr(lead, name),
                "enrichable": name in ENRICHABLE,
            }
        )
    return rows


def _detail_context(request, lead, **extra) -> dict:
    tenant = request.tenant
    members = list(team_list(tenant))
    lists = list(selectors.leadlist_list(tenant))
    names = {m.user_id: m.user.name or m.user.email for m in members}
    list_names = {item.pk: item.name for item in lists}
    me = request.user.pk if request.user.pk in names else None
    panels, panel_context = lead_panels(tenant, lead)
    sections, section_context = lead_panels(tenant, lead, place="main")
    return {
        "lead": lead,
        "fields": _fields(lead),
        "timeline": [describe_entry(e, names, list_names) for e in lead.recent_timeline],
        "can_work": can_work(request),
        "status_form": StatusForm(initial={"status": lead.status}, auto_id="status-%s"),
        "assign_form": AssignForm(
            initial={"assigned_to": lead.assigned_to_id}, members=members, auto_id="assign-%s"
        ),
        "escalate_form": EscalateForm(
            initial={"assignee": lead.assigned_to_id or me}, members=members, auto_id="esc-%s"
        ),
        "move_form": MoveForm(initial={"list": lead.list_id}, lists=lists, auto_id="move-%s"),
        "note_form": NoteForm(auto_id="note-%s"),
        "source_label": Source(lead.source).label if lead.source in Source.values else lead.source,
        "lead_panels": panels,
        "lead_sections": sections,
        **panel_context,
        **section_context,
        **extra,
    }


@dashboard_view()
def lead_detail(request, tenant_slug, lead_id):
    lead = selectors.lead_detail(request.tenant, lead_id)
    return render(request, "leads/detail.html", _detail_context(request, lead))


def _detail_response(request, lead_id, *, notice: str = "", error: str = "", status=200, **extra):
    """HTMX gets the re-rendered detail body (fields, work, timeline); a plain post a redirect."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("leads:detail", tenant_slug=request.tenant.slug, lead_id=lead_id)
    lead = selectors.lead_detail(request.tenant, lead_id)
    context = _detail_context(request, lead, notice=notice, error=error, **extra)
    return render(request, DETAIL_PARTIAL, context, status=status)


def _update(request, lead_id, changes: dict, notice: str):
    try:
        services.lead_update(
            tenant=request.tenant, actor=request.user, lead_id=lead_id, changes=changes
        )
    except ApplicationError as error:
        return _detail_response(request, lead_id, error=error.message, status=error.status_code)
    return _detail_response(request, lead_id, notice=notice)


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_status(request, tenant_slug, lead_id):
    """Change the status: from the table row (answers the row) or the detail page."""
    form = StatusForm(request.POST)
    if request.POST.get("view") == "row":
        return _row_status(request, lead_id, form)
    if not form.is_valid():
        return _detail_response(request, lead_id, error=first_form_error(form), status=400)
    return _update(request, lead_id, {"status": form.cleaned_data["status"]}, _("Status changed."))


def _row_status(request, lead_id, form):
    error, status = "", 200
    if form.is_valid():
        try:
            services.lead_update(
                tenant=request.tenant,
                actor=request.user,
                lead_id=lead_id,
                changes={"status": form.cleaned_data["status"]},
            )
        except ApplicationError as exc:
            error, status = exc.message, exc.status_code
    else:
        error, status = first_form_error(form), 400
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(_index_url(request))
    lead = selectors.lead_get(request.tenant, lead_id)
    context = {
        "lead": lead,
        "can_work": True,
        "status_choices": LeadStatus.choices,
        "row_error": error,
        "row_saved": not error,
        "selected_ids": set(),
    }
    return render(request, ROW_PARTIAL, context, status=status)


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_assign(request, tenant_slug, lead_id):
    form = AssignForm(request.POST, members=team_list(request.tenant))
    if not form.is_valid():
        return _detail_response(request, lead_id, error=first_form_error(form), status=400)
    assignee = form.cleaned_data["assigned_to"]
    notice = _("Lead assigned.") if assignee else _("Nobody is assigned now.")
    return _update(request, lead_id, {"assigned_to": assignee}, notice)


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_move(request, tenant_slug, lead_id):
    form = MoveForm(request.POST, lists=selectors.leadlist_list(request.tenant))
    if not form.is_valid():
        return _detail_response(request, lead_id, error=first_form_error(form), status=400)
    return _update(request, lead_id, {"list": form.cleaned_data["list"]}, _("Lead moved."))


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_escalate(request, tenant_slug, lead_id):
    """Manual escalation to a person's inbox: assign, status "contacted", a timeline entry."""
    form = EscalateForm(request.POST, members=team_list(request.tenant))
    if not form.is_valid():
        return _detail_response(request, lead_id, error=first_form_error(form), status=400)
    try:
        services.lead_escalate(
            tenant=request.tenant,
            actor=request.user,
            lead_id=lead_id,
            assignee_id=form.cleaned_data["assignee"],
        )
    except ApplicationError as error:
        return _detail_response(request, lead_id, error=error.message, status=error.status_code)
    return _detail_response(request, lead_id, notice=_("Lead escalated to the inbox."))


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_note(request, tenant_slug, lead_id):
    form = NoteForm(request.POST, auto_id="note-%s")
    if not form.is_valid():
        return _detail_response(
            request, lead_id, error=first_form_error(form), status=400, note_form=form
        )
    try:
        services.lead_note_add(
            tenant=request.tenant,
            actor=request.user,
            lead_id=lead_id,
            body=form.cleaned_data["body"],
        )
    except ApplicationError as error:
        return _detail_response(
            request, lead_id, error=error.message, status=error.status_code, note_form=form
        )
    return _detail_response(request, lead_id, notice=_("Note added."))


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_delete(request, tenant_slug, lead_id):
    services.lead_delete(tenant=request.tenant, actor=request.user, lead_id=lead_id)
    messages.success(request, _("Lead deleted."))
    return client_redirect(request, _index_url(request))
