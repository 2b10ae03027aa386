"""The onboarding wizard's pages: /t/<slug>/welcome/<step>/ (administrators). Each step's
POST either does the step or, with `skip`, skips it; progress is saved after every step, so
the wizard resumes where it was left."""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from apps.booking.selectors import booking_settings_get
from apps.booking.services import booking_settings_save
from apps.core.errors import ApplicationError
from apps.features.guards import feature_enabled
from apps.leads.selectors import lead_filter
from apps.leads.views_widget_site import WIDGET_PAGE_CSP
from apps.leads.widget_config import (
    WIDGET_SCRIPT,
    widget_config_get,
    widget_config_save,
    widget_snippet,
)
from apps.tenants import keys
from apps.tenants.dashboard import dashboard_view, form_add_error
from apps.tenants.roles import Role
from apps.tenants.services import tenant_update
from apps.web import onboarding
from apps.web.forms import CalendarBasicsForm, CompanyForm, SnippetEmailForm, WidgetBasicsForm

BOOKING_TOOL = "booking"


def _url(names, slug) -> str | None:
    for name in names:
        try:
            return reverse(name, kwargs={"tenant_slug": slug})
        except NoReverseMatch:
            continue
    return None


def _progress(request):
    progress = onboarding.wizard_progress(request)
    if progress is None:
        raise Http404
    return progress


def _go(request, step: str | None):
    slug = request.tenant.slug
    if step is None:
        return redirect(f"{reverse('web:overview', kwargs={'tenant_slug': slug})}?tour=1")
    return redirect("web:onboarding_step", tenant_slug=slug, step=step)


@dashboard_view(Role.ADMIN)
def onboarding_start(request, tenant_slug):
    """Resume: the first step neither done nor skipped."""
    return _go(request, onboarding.next_step(_progress(request)))


@csp_update(WIDGET_PAGE_CSP)
@dashboard_view(Role.ADMIN)
def onboarding_step(request, tenant_slug, step):
    progress = _progress(request)
    if step not in onboarding.STEP_KEYS:
        raise Http404
    form = None
    if request.method == "POST":
        if request.POST.get("skip"):
            return _go(request, onboarding.progress_mark(progress, step, skipped=True))
        form, done = STEP_HANDLERS[step](request)
        if done:
            return _go(request, onboarding.progress_mark(progress, step))
    return render(request, "web/onboarding.html", _context(request, progress, step, form))


def _context(request, progress, step: str, form) -> dict:
    tenant = request.tenant
    index = onboarding.STEP_KEYS.index(step)
    context = {
        "progress": progress,
        "step": step,
        "steps": [
            (key, label, key in progress.done, key in progress.skipped)
            for key, label in onboarding.STEPS
        ],
        "step_number": index + 1,
        "steps_total": len(onboarding.STEPS),
        "form": form or _initial_form(request, step),
    }
    if step in ("widget", "snippet", "test"):
        key = keys.publishable_key_text(tenant)  # "": staff revoked it, the page says so
        context.update(key=key, script=WIDGET_SCRIPT, snippet=widget_snippet(key) if key else "")
        context["lang"] = (request.LANGUAGE_CODE or "ru")[:2]
    if step == "channel":
        context["channels_url"] = _url(("channels:index",), tenant.slug)
    if step == "calendar":
        context["calendar_url"] = _url(("booking:index",), tenant.slug)
        context["booking_locked"] = not feature_enabled(tenant, BOOKING_TOOL)
        if context["booking_locked"]:
            context["form"] = None
    if step == "test":
        context["since"] = lead_filter(tenant).count()
    return context


def _initial_form(request, step: str):
    tenant = request.tenant
    if step == "company":
        site = f"https://{tenant.site_domain}" if tenant.site_domain else ""
        return CompanyForm(initial={"site": site, "time_zone": tenant.time_zone})
    if step == "widget":
        return WidgetBasicsForm(instance=widget_config_get(tenant))
    if step == "snippet":
        return SnippetEmailForm()
    if step == "calendar":
        return CalendarBasicsForm(instance=booking_settings_get(tenant))
    return None


def _company(request):
    form = CompanyForm(request.POST)
    if not form.is_valid():
        return form, False
    site = urlsplit(form.cleaned_data["site"])
    origins = list(request.tenant.allowed_origins or [])
    try:
        tenant_update(
            tenant=request.tenant,
            actor=request.user,
            site_domain=site.hostname or "",
            time_zone=form.cleaned_data["time_zone"],
            allowed_origins=[*origins, f"{site.scheme}://{site.netloc}"],
        )
    except ApplicationError as error:
        form_add_error(form, error)
        return form, False
    return form, True


def _widget(request):
    config = widget_config_get(request.tenant)
    form = WidgetBasicsForm(request.POST, instance=config)
    if not form.is_valid():
        return form, False
    widget_config_save(request.tenant, actor=request.user, data=form.cleaned_data, request=request)
    return form, True


def _calendar(request):
    if not feature_enabled(request.tenant, BOOKING_TOOL):
        return None, True  # "continue" without the tool: nothing to save
    form = CalendarBasicsForm(request.POST, instance=booking_settings_get(request.tenant))
    if not form.is_valid():
        return form, False
    try:
        booking_settings_save(
            tenant=request.tenant, actor=request.user, data=form.changes(), request=request
        )
    except ApplicationError as error:
        form_add_error(form, error)
        return form, False
    return form, True


def _snippet(request):
    if "email" not in request.POST:  # "the code is on my site": just move on
        return None, True
    form = SnippetEmailForm(request.POST)
    if not form.is_valid():
        return form, False
    try:
        key = keys.publishable_key_get(request.tenant).key  # sending the code creates no key
    except ApplicationError as error:
        form_add_error(form, error)
        return form, False
    onboarding.snippet_email_send(
        tenant=request.tenant,
        actor=request.user,
        to=form.cleaned_data["email"],
        snippet=widget_snippet(key),
    )
    return form, True


def _next_only(request):
    return None, True


STEP_HANDLERS = {
    "company": _company,
    "widget": _widget,
    "channel": _next_only,
    "calendar": _calendar,
    "snippet": _snippet,
    "test": _next_only,
}


@require_POST
@dashboard_view()
def tour_done(request, tenant_slug):
    progress = onboarding.progress_get(request.tenant)
    if progress is not None:
        onboarding.tour_seen(progress)
    return redirect("web:overview", tenant_slug=request.tenant.slug)
