"""`entitlements`, `access_state` and `usage` for dashboard templates (lazy: a page that does
not use them pays nothing; `usage` costs one query, the others none when the cache is warm)."""

from django.utils.functional import SimpleLazyObject

from apps.features.selectors import entitlements_for_request


def billing_context(request) -> dict:
    if getattr(request, "tenant", None) is None:
        return {}

    def usage():
        from apps.billing.selectors import usage_current

        return usage_current(request.tenant, entitlements_for_request(request))

    return {
        "entitlements": SimpleLazyObject(lambda: entitlements_for_request(request)),
        "access_state": SimpleLazyObject(lambda: entitlements_for_request(request).access_state),
        "usage": SimpleLazyObject(usage),
    }
