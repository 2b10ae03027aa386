"""CORS for the public widget API: only each tenant's own allowed origins.

django-cors-headers limits CORS to /api/public/ (CORS_URLS_REGEX); this handler decides per
request. A widget API view sets `request.widget_origin_resolver` (from its publishable key's
tenant); a request without one gets no CORS headers at all: fail closed.
"""

from corsheaders.signals import check_request_enabled


def origin_allowed_for_request(request) -> bool:
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    if not origin:
        return False
    resolver = getattr(request, "widget_origin_resolver", None)
    return bool(resolver and resolver(origin))


def _cors_allow(sender, request, **kwargs) -> bool:
    if not request.path.startswith("/api/public/"):
        return False
    return origin_allowed_for_request(request)


check_request_enabled.connect(_cors_allow, dispatch_uid="fastlead_widget_cors")
