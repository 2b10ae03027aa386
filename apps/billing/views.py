"""The billing page: plan, trial or access state, usage bar and past periods."""

from django.shortcuts import render

from apps.billing import selectors
from apps.features.flags import flag_active
from apps.features.selectors import entitlements_for_request
from apps.web.dashboard import dashboard_view, is_admin


@dashboard_view()
def overview(request, tenant_slug):
    tenant = request.tenant
    entitlements = entitlements_for_request(request)
    context = {
        "subscription": selectors.subscription_current(tenant),
        "usage": selectors.usage_current(tenant, entitlements),
        "meters": list(selectors.meter_history(tenant)),
        "can_manage": is_admin(request),
        "show_plans": flag_active(request, "new_billing"),
    }
    if context["show_plans"]:
        context["plans"] = [p for p in selectors.plan_list_public() if not p.is_trial]
    return render(request, "billing/overview.html", context)
