"""Dashboard page "Webhooks": endpoints (add, test, enable/disable, delete) and, per endpoint,
the delivery log with "resend" (HTMX; the log refreshes itself while something is pending)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.features.guards import feature_required
from apps.integrations import selectors, services
from apps.integrations.forms import EndpointForm
from apps.integrations.models import DeliveryStatus
from apps.integrations.outbox import TOOL
from apps.integrations.recipe import verification_recipe
from apps.tenants.dashboard import dashboard_view, form_add_error, partial_or_redirect
from apps.tenants.roles import Role

PARTIAL = "integrations/_endpoints.html"
LOG = "integrations/_log.html"
LOG_SIZE = 50


def _context(request, form=None, **extra) -> dict:
    return {
        "endpoints": list(selectors.endpoint_list(request.tenant)),
        "disabled": selectors.endpoints_disabled(request.tenant),
        "form": form or EndpointForm(),
        **extra,
    }


def _log_context(request, endpoint) -> dict:
    deliveries = list(selectors.delivery_list(request.tenant, endpoint_id=endpoint.pk)[:LOG_SIZE])
    # Poll while a send is under way or about to start; a retry hours away is not waited on.
    busy = any(
        d.status == DeliveryStatus.SENDING
        or (d.status == DeliveryStatus.PENDING and not d.attempts)
        for d in deliveries
    )
    return {"endpoint": endpoint, "deliveries": deliveries, "busy": busy}


@dashboard_view(Role.ADMIN)
def endpoint_index(request, tenant_slug):
    """Open without the tool too: then it shows the lock and the plan that unlocks it."""
    return render(request, "integrations/index.html", _context(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def endpoint_create(request, tenant_slug):
    form = EndpointForm(request.POST)
    url = reverse("integrations:index", args=[request.tenant.slug])
    if not form.is_valid():
        return partial_or_redirect(
            request, PARTIAL, _context(request, form), url=url, status=400, form=form
        )
    try:
        endpoint, secret = services.endpoint_create(
            tenant=request.tenant, actor=request.user, **form.cleaned_data
        )
    except ApplicationError as error:
        form_add_error(form, error)
        return partial_or_redirect(
            request, PARTIAL, _context(request, form), url=url, status=error.status_code, form=form
        )
    if not request.htmx:  # the secret is shown once: on the page that answers this post
        return render(
            request, "integrations/index.html", _context(request, created=endpoint, secret=secret)
        )
    return render(request, PARTIAL, _context(request, created=endpoint, secret=secret))


@dashboard_view(Role.ADMIN)
def webhook_docs(request, tenant_slug):
    return render(request, "integrations/docs.html", {"recipe": verification_recipe()})


@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def endpoint_detail(request, tenant_slug, endpoint_id):
    endpoint = selectors.endpoint_get(request.tenant, endpoint_id)
    return render(request, "integrations/detail.html", _log_context(request, endpoint))


@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def endpoint_log(request, tenant_slug, endpoint_id):
    endpoint = selectors.endpoint_get(request.tenant, endpoint_id)
    return render(request, LOG, _log_context(request, endpoint))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def endpoint_test(request, tenant_slug, endpoint_id):
    endpoint = selectors.endpoint_get(request.tenant, endpoint_id)
    context = {}
    try:
        services.endpoint_test(endpoint)
        context["notice"] = _("Test event sent. Its delivery is in the log below.")
    except ApplicationError as error:
        context["error"] = error.message
    return _log_response(request, endpoint, **context)


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def delivery_resend(request, tenant_slug, delivery_id):
    delivery = selectors.delivery_get(request.tenant, delivery_id)
    services.delivery_resend_queue(delivery)
    return _log_response(request, delivery.endpoint, notice=_("Sent again."))


def _log_response(request, endpoint, **extra):
    url = reverse("integrations:detail", args=[request.tenant.slug, endpoint.pk])
    context = {**_log_context(request, endpoint), **extra}
    return partial_or_redirect(request, LOG, context, url=url)


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def endpoint_toggle(request, tenant_slug, endpoint_id):
    endpoint = selectors.endpoint_get(request.tenant, endpoint_id)
    services.endpoint_update(endpoint, enabled=not endpoint.enabled)
    url = reverse("integrations:index", args=[request.tenant.slug])
    return partial_or_redirect(request, PARTIAL, _context(request), url=url)


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def endpoint_delete(request, tenant_slug, endpoint_id):
    endpoint = selectors.endpoint_get(request.tenant, endpoint_id)
    services.endpoint_delete(endpoint)
    url = reverse("integrations:index", args=[request.tenant.slug])
    notice = _("Endpoint %(url)s deleted.") % {"url": endpoint.url}
    return partial_or_redirect(request, PARTIAL, _context(request, notice=notice), url=url)
