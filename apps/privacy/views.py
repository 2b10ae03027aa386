"""Dashboard pages: "Data and privacy" (retention, the export of everything, closing the
company) and the lead page's personal-data actions (export, consent withdrawal, erasure)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core import private_files
from apps.core.errors import ApplicationError
from apps.leads.selectors import lead_get
from apps.privacy import selectors
from apps.privacy.forms import CloseForm, EraseForm, RetentionForm
from apps.privacy.models import JobStatus
from apps.privacy.services import closure, company_export, consents, people, retention
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role

EXPORTS = "privacy/_exports.html"


def _context(request, **extra) -> dict:
    exports = selectors.company_exports(request.tenant)
    return {
        "retention_form": extra.pop("retention_form", None)
        or RetentionForm(instance=retention.retention_get(request.tenant)),
        "exports": exports,
        "exports_busy": any(e.status in (JobStatus.PENDING, JobStatus.RUNNING) for e in exports),
        "closure": closure.closure_get(request.tenant),
        **extra,
    }


@dashboard_view(Role.ADMIN)
def privacy_index(request, tenant_slug):
    return render(request, "privacy/index.html", _context(request))


@require_POST
@dashboard_view(Role.ADMIN)
def retention_update(request, tenant_slug):
    form = RetentionForm(request.POST, instance=retention.retention_get(request.tenant))
    if not form.is_valid():
        return render(
            request, "privacy/index.html", _context(request, retention_form=form), status=400
        )
    retention.retention_update(
        tenant=request.tenant, actor=request.user, request=request, **form.cleaned_data
    )
    messages.success(request, _("Retention settings saved."))
    return redirect("privacy:index", tenant_slug=request.tenant.slug)


@require_POST
@dashboard_view(Role.ADMIN)
def export_start(request, tenant_slug):
    context = {}
    try:
        company_export.company_export_request(
            tenant=request.tenant, actor=request.user, request=request
        )
    except ApplicationError as error:
        context["export_error"] = error.message
    if request.htmx:
        return render(request, EXPORTS, _context(request, **context))
    if context:
        messages.error(request, context["export_error"])
    return redirect("privacy:index", tenant_slug=request.tenant.slug)


@dashboard_view(Role.ADMIN)
def export_list(request, tenant_slug):
    """The exports' list (HTMX polls it while one is being prepared)."""
    return render(request, EXPORTS, _context(request))


@dashboard_view(Role.ADMIN)
def export_download(request, tenant_slug, company_export_id):
    export = selectors.company_export_get(request.tenant, company_export_id)
    if export.status != JobStatus.DONE or not private_files.exists(export.file):
        raise Http404
    return private_files.download_response(
        export.file, filename=f"{request.tenant.slug}-export.zip", content_type="application/zip"
    )


@dashboard_view(Role.ADMIN)
def company_close(request, tenant_slug):
    """The confirmation page; the post closes the company."""
    current = closure.closure_get(request.tenant)
    form = CloseForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            closure.company_close(tenant=request.tenant, actor=request.user, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The company is closed. It is read-only for 30 days."))
        return redirect("privacy:index", tenant_slug=request.tenant.slug)
    status = 400 if request.method == "POST" else 200
    context = {**_context(request), "form": form, "closure": current}
    return render(request, "privacy/close.html", context, status=status)


# --- one lead -----------------------------------------------------------------------------


@require_POST
@dashboard_view(Role.ADMIN)
def lead_export(request, tenant_slug, lead_id):
    """A ZIP with the lead's data as JSON and CSV."""
    lead = lead_get(request.tenant, lead_id)
    data = people.lead_data_export(
        tenant=request.tenant, lead=lead, actor=request.user, request=request
    )
    stem = f"lead-{lead.pk}-{timezone.now():%Y%m%d}"
    response = HttpResponse(people.person_zip(data, stem=stem), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@dashboard_view(Role.ADMIN)
def lead_erase(request, tenant_slug, lead_id):
    """The confirmation page; the post erases the lead's personal data."""
    lead = lead_get(request.tenant, lead_id)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        people.lead_erase(tenant=request.tenant, lead=lead, actor=request.user, request=request)
        messages.success(
            request, _("The lead's personal data is erased. A receipt was sent to your e-mail.")
        )
        return redirect("leads:detail", tenant_slug=request.tenant.slug, lead_id=lead.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/erase.html", {"lead": lead, "form": form}, status=status)


@require_POST
@dashboard_view(Role.OPERATOR)
def consent_withdraw(request, tenant_slug, lead_id):
    lead = lead_get(request.tenant, lead_id)
    consents.consent_withdraw(tenant=request.tenant, lead=lead, actor=request.user, request=request)
    messages.success(request, _("Consent withdrawn: the lead is no longer processed or messaged."))
    return redirect("leads:detail", tenant_slug=request.tenant.slug, lead_id=lead.pk)


@require_POST
@login_required
def my_data_export(request):
    """The signed-in user's own data, as a ZIP of JSON and CSV."""
    data = people.user_data_export(user=request.user, request=request)
    stem = f"my-data-{timezone.now():%Y%m%d}"
    response = HttpResponse(people.person_zip(data, stem=stem), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
    response["Cache-Control"] = "no-store"
    return response
