"""Dashboard page "Integrations → CRM": connect amoCRM (OAuth) or Bitrix24 (incoming webhook),
choose the pipeline, map statuses to stages and our fields to the CRM's, read the sync log and
retry a failed job (HTMX; the log refreshes itself while something is under way). And the
CRMs' callbacks: amoCRM's OAuth redirect and both CRMs' webhooks."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.api import error_body
from apps.core.errors import ApplicationError
from apps.features.guards import feature_required
from apps.integrations.crm import inbound, selectors, services
from apps.integrations.crm.backfill import backfill_last, backfill_progress
from apps.integrations.crm.forms import (
    AmoCrmConnectForm,
    BackfillForm,
    Bitrix24ConnectForm,
    Bitrix24TokenForm,
    FieldMapForm,
    PipelineForm,
    StatusMapForm,
)
from apps.integrations.crm.models import ConnectionState, JobStatus
from apps.integrations.outbox import TOOL
from apps.tenants.dashboard import client_redirect, dashboard_view, form_add_error
from apps.tenants.dashboard import partial_or_redirect as _partial_or_redirect
from apps.tenants.roles import Role

PAGE, PARTIAL, LOG = "integrations/crm.html", "integrations/_crm.html", "integrations/_crm_log.html"
BACKFILL = "integrations/_crm_backfill.html"
LOG_SIZE = 50


def _log_context(request) -> dict:
    jobs = list(selectors.job_list(request.tenant)[:LOG_SIZE])
    busy = any(
        j.status == JobStatus.RUNNING or (j.status == JobStatus.PENDING and j.attempts == 0)
        for j in jobs
    )
    return {"jobs": jobs, "busy": busy}


def _context(request, **forms) -> dict:
    connection = selectors.connection_get(request.tenant)
    context = {"connection": connection, "inbound_url": "", **_log_context(request)}
    if connection is None or connection.state != ConnectionState.CONNECTED:
        context["amo_form"] = forms.get("amo_form") or AmoCrmConnectForm(
            initial={"subdomain": connection.account if connection else ""}
        )
        context["bitrix_form"] = forms.get("bitrix_form") or Bitrix24ConnectForm()
        context["amo_redirect_uri"] = services.amocrm_redirect_uri()
        if connection is None or connection.state == ConnectionState.PENDING:
            return context
    name = f"integrations:crm-{connection.provider}-webhook"
    context["inbound_url"] = request.build_absolute_uri(
        reverse(name, args=[connection.inbound_token])
    )
    # The pipelines as last read (a page never waits on the CRM; choosing one reads them anew).
    context["pipeline_form"] = forms.get("pipeline_form") or PipelineForm(
        initial={"pipeline_id": connection.pipeline_id}, pipelines=connection.pipelines
    )
    context["status_form"] = forms.get("status_form") or StatusMapForm(
        initial=connection.status_map, stages=connection.stages
    )
    context["field_form"] = forms.get("field_form") or FieldMapForm(initial=connection.field_map)
    context.update(_backfill_context(request, connection))
    if connection.provider == "bitrix24":
        context["token_form"] = forms.get("token_form") or Bitrix24TokenForm()
        context["token_set"] = bool(connection.credentials.get("application_token"))
    return context


def _answer(request, status: int = 200, form=None, **extra):
    url = reverse("integrations:crm", args=[request.tenant.slug])
    context = {**_context(request, **extra), **extra}
    return _partial_or_redirect(request, PARTIAL, context, url=url, status=status, form=form)


@dashboard_view(Role.ADMIN)
def crm_index(request, tenant_slug):
    """Open without the tool too: then it shows the lock and the plan that unlocks it."""
    return render(request, PAGE, _context(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def crm_amocrm_connect(request, tenant_slug):
    form = AmoCrmConnectForm(request.POST)
    if form.is_valid():
        try:
            url = services.amocrm_connect_start(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form_add_error(form, error)
        else:
            return client_redirect(request, url)
    return _answer(request, status=400, form=form, amo_form=form)


@require_GET
def crm_amocrm_callback(request):
    """amoCRM sends the admin back here with `code`, `state` and `referer` (the account)."""
    try:
        connection = services.amocrm_connect_finish(
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            referer=request.GET.get("referer", ""),
        )
    except ApplicationError as error:
        return render(
            request,
            "integrations/crm_callback.html",
            {"error": error.message},
            status=400,
        )
    messages.success(request, _("amoCRM is connected."))
    return redirect("integrations:crm", connection.tenant.slug)


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def crm_bitrix24_connect(request, tenant_slug):
    def connect(data):
        services.bitrix24_connect(tenant=request.tenant, actor=request.user, **data)

    form = Bitrix24ConnectForm(request.POST)
    return _submit(request, form, "bitrix_form", connect, _("Bitrix24 is connected."))


def _submit(request, form, form_key: str, save, notice: str):
    """Validate the posted form and save it; a bad form or a refused save shows it again (400)
    in the context slot `form_key`."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ApplicationError as error:
            form_add_error(form, error)
        else:
            return _answer(request, notice=notice)
    return _answer(request, status=400, form=form, **{form_key: form})


def _connected(view):
    """Hands the view the company's connection past the authorization step; without one the
    page answers 409."""

    @wraps(view)
    def wrapper(request, tenant_slug):
        connection = selectors.connection_get(request.tenant)
        if connection is None or connection.state == ConnectionState.PENDING:
            return _answer(request, status=409, error=_("Connect a CRM first."))
        return view(request, connection)

    return wrapper


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
@_connected
def crm_pipeline(request, connection):
    def choose(data):
        services.pipeline_choose(connection, actor=request.user, pipeline_id=data["pipeline_id"])

    form = PipelineForm(request.POST, pipelines=connection.pipelines)
    notice = _("Pipeline saved. Check the stage of each status.")
    return _submit(request, form, "pipeline_form", choose, notice)


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
@_connected
def crm_statuses(request, connection):
    def save(data):
        services.status_map_set(connection, actor=request.user, status_map=data)

    form = StatusMapForm(request.POST, stages=connection.stages)
    return _submit(request, form, "status_form", save, _("Status mapping saved."))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
@_connected
def crm_fields(request, connection):
    def save(data):
        services.field_map_set(connection, actor=request.user, field_map=data)

    form = FieldMapForm(request.POST)
    return _submit(request, form, "field_form", save, _("Field mapping saved."))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
@_connected
def crm_bitrix24_token(request, connection):
    """Bitrix24 shows the outbound webhook's token once it is made, with our URL in it: so it
    is entered after connecting."""
    form = Bitrix24TokenForm(request.POST)
    if connection.provider != "bitrix24" or not form.is_valid():
        return _answer(request, status=400, form=form, token_form=form)
    services.bitrix24_token_set(connection, form.cleaned_data["application_token"])
    return _answer(request, notice=_("Token saved: stage changes in Bitrix24 now come back."))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
@_connected
def crm_disconnect(request, connection):
    services.disconnect(connection, actor=request.user)
    return _answer(request, notice=_("The CRM is disconnected. Its deals stay in the CRM."))


def _backfill_context(request, connection, form=None) -> dict:
    progress = backfill_progress(request.tenant, backfill_last(request.tenant, connection))
    return {"backfill": progress, "backfill_form": form or BackfillForm()}


@require_http_methods(["GET", "POST"])
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def crm_backfill(request, tenant_slug):
    """GET: the progress card (HTMX polls it while leads are being sent); POST: start sending
    the existing leads (refused while a backfill runs, or with nothing to send)."""
    connection = selectors.connection_get(request.tenant)
    form, status, extra = None, 200, {}
    if request.method == "POST":
        form = BackfillForm(request.POST)
        status, extra = _backfill_start(request, form)
        form = form if status != 200 else None
    context = {**_backfill_context(request, connection, form), "connection": connection, **extra}
    url = reverse("integrations:crm", args=[request.tenant.slug])
    return _partial_or_redirect(request, BACKFILL, context, url=url, status=status, form=form)


def _backfill_start(request, form) -> tuple[int, dict]:
    if not form.is_valid():
        return 400, {}
    try:
        services.backfill_start(
            tenant=request.tenant, actor=request.user, since=form.cleaned_data["since"]
        )
    except ApplicationError as error:
        return error.status_code, {"error": error.message, "backfill_error": error.message}
    notice = _("Sending the existing leads to the CRM in the background.")
    return 200, {"notice": notice, "backfill_notice": notice}


@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def crm_log(request, tenant_slug):
    return render(request, LOG, _log_context(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def crm_job_retry(request, tenant_slug, job_id):
    job = selectors.job_get(request.tenant, job_id)
    services.job_retry(job)
    url = reverse("integrations:crm", args=[request.tenant.slug])
    context = {**_log_context(request), "notice": _("Queued again.")}
    return _partial_or_redirect(request, LOG, context, url=url)


def _inbound(handler, request, token: str):
    try:
        queued = handler(token, request.POST)
    except ApplicationError as error:
        return JsonResponse(error_body(error.code, error.message), status=error.status_code)
    return JsonResponse({"status": "accepted", "queued": queued})


@csrf_exempt
@require_POST
def amocrm_webhook(request, token: str):
    return _inbound(inbound.amocrm_webhook, request, token)


@csrf_exempt
@require_POST
def bitrix24_webhook(request, token: str):
    return _inbound(inbound.bitrix24_webhook, request, token)
