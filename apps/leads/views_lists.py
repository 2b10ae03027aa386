"""Dashboard page of lead lists: counts per list, create, rename, delete with confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.leads import selectors, services
from apps.leads.forms import LeadListForm
from apps.leads.models import Lead
from apps.leads.views import can_work
from apps.tenants.access import require_role
from apps.tenants.dashboard import dashboard_view, first_form_error
from apps.tenants.roles import Role

LISTS_PARTIAL = "leads/_lists.html"


def lists_with_counts(tenant):
    """The tenant's lists, each with `lead_count`, in one query (a counted subquery per list
    over the (tenant, list) index)."""
    counts = (
        Lead.objects.for_tenant(tenant)
        .filter(list=OuterRef("pk"))
        .order_by()
        .values("list")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return selectors.leadlist_list(tenant).annotate(lead_count=Coalesce(Subquery(counts), 0))


def _lists_context(request, **extra) -> dict:
    return {
        "lists": list(lists_with_counts(request.tenant)),
        "can_work": can_work(request),
        "create_form": extra.pop("create_form", None) or LeadListForm(auto_id="new-list-%s"),
        **extra,
    }


def _lists_response(request, *, status: int = 200, **extra):
    if not request.htmx and extra.get("confirm_delete"):
        return render(request, "leads/lists.html", _lists_context(request, **extra))
    if not request.htmx:
        if extra.get("error"):
            messages.error(request, extra["error"])
        elif extra.get("notice"):
            messages.success(request, extra["notice"])
        return redirect("leads:lists", tenant_slug=request.tenant.slug)
    return render(request, LISTS_PARTIAL, _lists_context(request, **extra), status=status)


@dashboard_view()
def leadlist_list(request, tenant_slug):
    if request.method == "POST":
        return _list_create(request)
    return render(request, "leads/lists.html", _lists_context(request))


def _list_create(request):
    require_role(request.membership, Role.OPERATOR)
    form = LeadListForm(request.POST, auto_id="new-list-%s")
    if not form.is_valid():
        return _lists_response(request, create_form=form, status=400)
    try:
        item = services.leadlist_create(
            tenant=request.tenant, actor=request.user, name=form.cleaned_data["name"]
        )
    except ApplicationError as error:
        form.add_error("name", error.message)
        return _lists_response(request, create_form=form, status=error.status_code)
    return _lists_response(request, notice=_("List “%(name)s” created.") % {"name": item.name})


@require_POST
@dashboard_view(Role.OPERATOR)
def leadlist_rename(request, tenant_slug, list_id):
    form = LeadListForm(request.POST)
    if not form.is_valid():
        return _lists_response(request, error=first_form_error(form), status=400)
    try:
        item = services.leadlist_update(
            tenant=request.tenant,
            actor=request.user,
            list_id=list_id,
            changes={"name": form.cleaned_data["name"]},
        )
    except ApplicationError as error:
        return _lists_response(request, error=error.message, status=error.status_code)
    return _lists_response(request, notice=_("List renamed to “%(name)s”.") % {"name": item.name})


@require_POST
@dashboard_view(Role.OPERATOR)
def leadlist_delete(request, tenant_slug, list_id):
    """First post: ask to confirm (in the table); the second, with confirm=1, deletes."""
    item = selectors.leadlist_get(request.tenant, list_id)
    if request.POST.get("confirm") != "1":
        return _lists_response(request, confirm_delete=item.pk)
    services.leadlist_delete(tenant=request.tenant, actor=request.user, list_id=item.pk)
    return _lists_response(
        request, notice=_("List “%(name)s” deleted; its leads stay.") % {"name": item.name}
    )
