"""`plan_limits`, `access_state` and `usage` for dashboard templates (lazy: a page that does
not use them pays nothing; `usage` costs one query, the others none when the cache is warm).
Features adds `entitlements` (the tools) in its own context processor."""

from django.utils.functional import SimpleLazyObject

from apps.billing.plan_limits import plan_limits_for_request
from apps.billing.selectors import usage_current


def billing_context(request) -> dict:
    if getattr(request, "tenant", None) is None:
        return {}
    return {
        "plan_limits": SimpleLazyObject(lambda: plan_limits_for_request(request)),
        "access_state": SimpleLazyObject(lambda: plan_limits_for_request(request).access_state),
        "usage": SimpleLazyObject(
            lambda: usage_current(request.tenant, plan_limits_for_request(request))
        ),
    }
