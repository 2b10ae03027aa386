"""The Modules page: every live tool, on or locked with an upsell hint, then the tools that
are coming soon (announced, not built yet)."""

from django.shortcuts import render

from apps.features.api import features_payload
from apps.features.selectors import entitlements_for_request
from apps.tenants.dashboard import dashboard_view, is_admin


@dashboard_view()
def modules(request, tenant_slug):
    entitlements = entitlements_for_request(request)
    payload = features_payload(entitlements)
    context = {
        "tools": [tool for tool in payload["tools"] if tool["live"]],
        "coming_soon": [tool for tool in payload["tools"] if not tool["live"]],
        "plan": entitlements.plan,
        "can_manage_billing": is_admin(request),
    }
    return render(request, "features/modules.html", context)
