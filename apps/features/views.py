"""The Modules page: every tool, on or locked, with an upsell hint."""

from django.shortcuts import render

from apps.features.api import features_payload
from apps.features.selectors import entitlements_for_request
from apps.tenants.dashboard import dashboard_view, is_admin


@dashboard_view()
def modules(request, tenant_slug):
    entitlements = entitlements_for_request(request)
    payload = features_payload(entitlements)
    context = {
        "tools": payload["tools"],
        "plan": entitlements.plan,
        "can_manage_billing": is_admin(request),
    }
    return render(request, "features/modules.html", context)
