"""`entitlements` for dashboard templates: `{% if entitlements.enabled.export %}` (lazy: a
page that does not use it pays nothing, and nothing when the cache is warm)."""

from django.utils.functional import SimpleLazyObject

from apps.features.selectors import entitlements_for_request


def entitlements_context(request) -> dict:
    if getattr(request, "tenant", None) is None:
        return {}
    return {"entitlements": SimpleLazyObject(lambda: entitlements_for_request(request))}
