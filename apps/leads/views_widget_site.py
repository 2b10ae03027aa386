"""Dashboard: the widget and the tenant's sites — notices of sites that tried to load the
widget (allow / dismiss) and the demo page where the tenant tries the real widget before
installing it. Requests sent from the demo page become real leads whose form action is marked
as a test (metadata `test: true`), so the whole path (leads, rules, notifications) is tried."""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.leads.selectors import lead_filter
from apps.leads.widget_config import WIDGET_SCRIPT
from apps.leads.widget_origins import origin_attempt_allow, origin_attempt_dismiss
from apps.tenants import keys
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role

# The widget's styles live in a <style> of its shadow root; its images may come from S3.
WIDGET_PAGE_CSP = {"style-src": ["'unsafe-inline'"], "img-src": ["https:"]}


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("leads:widget", tenant_slug=request.tenant.slug)


@require_POST
@dashboard_view(Role.ADMIN)
def origin_allow(request, tenant_slug, attempt_id):
    origin = origin_attempt_allow(
        request.tenant, actor=request.user, attempt_id=attempt_id, request=request
    )
    messages.success(request, _("%(origin)s can now use your widget.") % {"origin": origin})
    return _back(request)


@require_POST
@dashboard_view(Role.ADMIN)
def origin_dismiss(request, tenant_slug, attempt_id):
    origin_attempt_dismiss(request.tenant, attempt_id=attempt_id)
    return _back(request)


@csp_update(WIDGET_PAGE_CSP)
@dashboard_view()
def widget_demo(request, tenant_slug):
    """The real widget with the tenant's key, on a page of Fast Lead itself (always allowed)."""
    context = {
        "key": keys.publishable_key_text(request.tenant),
        "script": WIDGET_SCRIPT,
        "lang": (request.LANGUAGE_CODE or "ru")[:2],
        **demo_status_context(request.tenant, since=lead_filter(request.tenant).count()),
    }
    return render(request, "leads/widget_demo.html", context)


def demo_status_context(tenant, since: int) -> dict:
    """Whether a lead arrived since the page opened (`since` leads then), and the newest."""
    leads = lead_filter(tenant)
    count = leads.count()
    return {
        "since": since,
        "arrived": count > since,
        "newest": leads.order_by("-created_at").first() if count > since else None,
    }


@dashboard_view()
def widget_demo_status(request, tenant_slug):
    """The demo page's (and the wizard's) HTMX poll: "your first lead has arrived"."""
    try:
        since = max(0, int(request.GET.get("since", "0")))
    except ValueError:
        since = 0
    context = demo_status_context(request.tenant, since)
    return render(request, "leads/_demo_status.html", context)
