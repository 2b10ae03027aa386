"""CORS for the public widget API: only each tenant's own allowed origins.

django-cors-headers limits CORS to /api/public/ (CORS_URLS_REGEX); this handler decides per
request. A widget API view sets `request.widget_origin_resolver` (from its publishable key's
tenant); a request without one gets no CORS headers at all: fail closed. Preflights are
answered by the middleware before any view runs, so the resolver is also set here from the
publishable key in the URL (/api/public/v1/widget/<key>/…).
"""

import re

from django.db import DatabaseError

from apps.tenants.keys import widget_tenant_resolve

_WIDGET_PATH = re.compile(r"^/api/public/v1/widget/(?P<key>[A-Za-z0-9_-]{1,64})/")


def _set_resolver_from_path(request) -> None:
    match = _WIDGET_PATH.match(request.path)
    if match is None:
        return
    try:
        widget = widget_tenant_resolve(match["key"])
    except DatabaseError:  # database down: no CORS headers (the widget retries), not a 500
        widget = None
    request.widget_origin_resolver = widget.origin_allowed if widget else None


def origin_allowed_for_request(request) -> bool:
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    if not origin:
        return False
    if not hasattr(request, "widget_origin_resolver"):
        _set_resolver_from_path(request)
    resolver = getattr(request, "widget_origin_resolver", None)
    return bool(resolver and resolver(origin))


def cors_allow(sender, request, **kwargs) -> bool:
    """corsheaders' `check_request_enabled` receiver (connected in apps/tenants/wiring.py)."""
    if not request.path.startswith("/api/public/"):
        return False
    return origin_allowed_for_request(request)
