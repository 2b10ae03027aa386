"""Dashboard pages of HyroPage under /t/<tenant_slug>/pages/: the list and the brief form,
the editor (every field, desktop/phone preview, versions, publish), and the generation status
the editor polls while the model writes."""

from __future__ import annotations

from csp.decorators import csp_replace
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import ApplicationError
from apps.features.guards import feature_required
from apps.hyropage import selectors, services
from apps.hyropage.allowance import allowance_get
from apps.hyropage.forms import BriefForm, ContentForm
from apps.hyropage.models import GenerationStatus
from apps.hyropage.public import public_url, render_page
from apps.tenants.dashboard import dashboard_view, form_add_error
from apps.tenants.roles import Role

TOOL = "hyropage"
PREVIEW_CSP = {
    "frame-ancestors": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "https:"],
}


def _index_context(request, form=None) -> dict:
    return {
        "pages": selectors.page_list(request.tenant),
        "form": form or BriefForm(),
        "allowance": allowance_get(request.tenant),
    }


@require_GET
@dashboard_view(Role.OPERATOR)
def page_index(request, tenant_slug):
    """Open without the tool too: then it shows the lock and the plan that unlocks it."""
    return render(request, "hyropage/index.html", _index_context(request))


@require_POST
@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def page_create(request, tenant_slug):
    form = BriefForm(request.POST)
    if form.is_valid():
        try:
            page, _generation = services.page_create(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form_add_error(form, error)
        else:
            return redirect("hyropage:edit", tenant_slug=tenant_slug, page_id=page.pk)
    return render(request, "hyropage/index.html", _index_context(request, form), status=400)


def _edit_context(request, page, form=None, **extra) -> dict:
    generation = selectors.generation_latest(request.tenant, page)
    selectors.conversions_attach(request.tenant, [page])
    if form is None and page.content:
        form = ContentForm(initial=ContentForm.initial_from(page.content, page.version))
    return {
        "page": page,
        "form": form,
        "generation": generation,
        "busy": generation is not None
        and generation.status in (GenerationStatus.PENDING, GenerationStatus.RUNNING),
        "versions": selectors.version_list(request.tenant, page),
        "public_url": public_url(page),
        **extra,
    }


@require_GET
@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def page_edit(request, tenant_slug, page_id):
    page = selectors.page_get(request.tenant, page_id)
    return render(request, "hyropage/edit.html", _edit_context(request, page))


@require_GET
@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def page_status(request, tenant_slug, page_id):
    """The generation's state (HTMX polls it; once done the editor reloads itself)."""
    page = selectors.page_get(request.tenant, page_id)
    context = _edit_context(request, page)
    if request.htmx and not context["busy"]:
        return HttpResponse(headers={"HX-Refresh": "true"})  # show the written page
    return render(request, "hyropage/_status.html", context)


@require_POST
@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def page_save(request, tenant_slug, page_id):
    page = selectors.page_get(request.tenant, page_id)
    form = ContentForm(request.POST)
    if form.is_valid():
        try:
            services.page_content_update(
                tenant=request.tenant,
                actor=request.user,
                page=page,
                content=form.content(),
                version=form.cleaned_data.get("version"),
            )
        except ApplicationError as error:
            form.add_content_errors(error.fields) if error.fields else form_add_error(form, error)
        else:
            return _back(request, page, _("Saved as a new version."))
    context = _edit_context(request, page, form, error=_("Some fields are invalid."))
    return render(request, "hyropage/edit.html", context, status=400)


def _back(request, page, notice: str):
    messages.success(request, notice)
    return redirect("hyropage:edit", tenant_slug=request.tenant.slug, page_id=page.pk)


def _page_action(service, notice):
    """A POST on one page that calls `service(tenant=, actor=, page=, **url arguments)` and goes
    back to the editor with `notice(**url arguments)`, or with the service's refusal."""

    @require_POST
    @dashboard_view(Role.OPERATOR)
    @feature_required(TOOL)
    def view(request, tenant_slug, page_id, **arguments):
        page = selectors.page_get(request.tenant, page_id)
        try:
            service(tenant=request.tenant, actor=request.user, page=page, **arguments)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("hyropage:edit", tenant_slug=request.tenant.slug, page_id=page.pk)
        return _back(request, page, notice(**arguments))

    view.__name__ = view.__qualname__ = service.__name__  # each service names its view
    return view


page_publish = _page_action(services.page_publish, lambda: _("Published."))
page_unpublish = _page_action(
    services.page_unpublish, lambda: _("Unpublished: the address answers “not found”.")
)
page_regenerate = _page_action(services.page_regenerate, lambda: _("Generating a new version…"))
version_restore = _page_action(
    services.version_restore,
    lambda number: _("Version %(n)s restored as the newest.") % {"n": number},
)


@xframe_options_sameorigin
@csp_replace(PREVIEW_CSP)
@require_GET
@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def page_preview(request, tenant_slug, page_id):
    """The page as visitors will see it (the editor's iframe); the form is a placeholder."""
    page = selectors.page_get(request.tenant, page_id)
    return render_page(request, page, preview=True)
