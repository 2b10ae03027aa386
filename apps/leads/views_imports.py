"""Dashboard pages of file imports: upload → column mapping → progress → rejected-rows report.

Operators and administrators import; the work runs in `import_leads_task`.
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.core import private_files
from apps.core.errors import ApplicationError
from apps.leads import selectors
from apps.leads.forms import ImportMappingForm, ImportUploadForm
from apps.leads.imports import services as import_services
from apps.leads.imports.mapping import IDENTITY_FIELDS, field_label
from apps.leads.imports.selectors import import_job_get, import_jobs_recent, import_preview
from apps.tenants.dashboard import dashboard_view, form_add_error
from apps.tenants.roles import Role


@dashboard_view(Role.OPERATOR)
def import_upload(request, tenant_slug):
    tenant = request.tenant
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                job = import_services.import_job_create(
                    tenant=tenant, actor=request.user, upload=form.cleaned_data["file"]
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
                status = error.status_code
            else:
                return redirect("leads:import_job", tenant_slug=tenant.slug, import_id=job.pk)
    else:
        form = ImportUploadForm()
    context = {"form": form, "imports": import_jobs_recent(tenant)}
    return render(request, "leads/import_upload.html", context, status=status)


@dashboard_view(Role.OPERATOR)
def import_job(request, tenant_slug, import_id):
    """The mapping step while the job waits for it; afterwards, the progress page."""
    job = import_job_get(request.tenant, import_id)
    if not job.is_draft:
        if request.method == "POST":
            messages.info(request, _("This import has already started."))
            return redirect("leads:import_job", tenant_slug=tenant_slug, import_id=job.pk)
        return render(request, "leads/import_progress.html", {"job": job})
    return _mapping(request, job)


def _mapping(request, job):
    tenant = request.tenant
    lists = selectors.leadlist_list(tenant)
    status = 200
    if request.method == "POST":
        form = ImportMappingForm(request.POST, headers=job.headers, lists=lists)
        status = 400
        if form.is_valid():
            try:
                import_services.import_job_start(
                    tenant=tenant,
                    actor=request.user,
                    job_id=job.pk,
                    mapping=form.mapping(),
                    list_id=form.list_id(),
                    new_list_name=form.cleaned_data["new_list_name"],
                )
            except ApplicationError as error:
                form_add_error(form, error)
                status = error.status_code
            else:
                return redirect("leads:import_job", tenant_slug=tenant.slug, import_id=job.pk)
    else:
        initial = ImportMappingForm.initial_for(job.mapping)
        form = ImportMappingForm(initial=initial, headers=job.headers, lists=lists)
    preview = import_preview(job)
    columns = [
        {"field": field, "samples": [row[index] for row in preview]}
        for index, field in enumerate(form.column_fields())
    ]
    context = {
        "job": job,
        "form": form,
        "columns": columns,
        "preview_rows": len(preview),
        "identity_labels": [field_label(key) for key in IDENTITY_FIELDS],
        "identity_guessed": any(key in IDENTITY_FIELDS for key in job.mapping.values()),
    }
    return render(request, "leads/import_mapping.html", context, status=status)


@require_GET
@dashboard_view(Role.OPERATOR)
def import_status(request, tenant_slug, import_id):
    """The progress partial the progress page polls every second until the job finishes."""
    job = import_job_get(request.tenant, import_id)
    return render(request, "leads/_import_progress.html", {"job": job})


@require_GET
@dashboard_view(Role.OPERATOR)
def import_report(request, tenant_slug, import_id):
    """The rejected rows as CSV (row number, reasons, the row's cells)."""
    job = import_job_get(request.tenant, import_id)
    if not private_files.exists(job.report.name):
        raise Http404
    stem = PurePath(job.original_name).stem[:80] or "leads"
    return private_files.download_response(
        job.report.name,
        filename=_("rejected-%(name)s.csv") % {"name": stem},
        content_type="text/csv; charset=utf-8",
    )
