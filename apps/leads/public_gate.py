"""The gate of the widget's public endpoints (apps/leads/public_api.py, and the booking and
web-chat endpoints of the apps above): the publishable key resolved and both rate counters
counted in one cache round trip, the page's origin checked against the company's allowed
sites, the JSON body read with a size cap, and the error answers they share. No
authentication and no CSRF: the key names the company, CORS and these checks do the rest.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.billing.quotas import widget_unavailable_message
from apps.core.api import error_body
from apps.core.net import client_ip
from apps.core.ratelimit import OnError, Rate
from apps.core.ratelimit_fallback import DegradingLimiter, LocalBackend
from apps.leads.widget_origins import origin_attempt_record
from apps.tenants.keys import (
    WidgetTenant,
    widget_tenant_cache_key,
    widget_tenant_from_cache,
    widget_tenant_load_for_cache,
)
from apps.tenants.models import Tenant

MAX_BODY_BYTES = 64 * 1024
WINDOW_SECONDS = 60


def widget_tenant(widget: WidgetTenant) -> Tenant:
    """A Tenant with just the key's cached id and name: all the public paths need (no query)."""
    return Tenant(id=uuid.UUID(widget.tenant_id), name=widget.name)


def rate_limits() -> dict[str, int]:
    """Requests per minute: per visitor IP and per publishable key (settings may raise them)."""
    return {
        "ip": getattr(settings, "LEADS_WIDGET_RATE_PER_IP", 20),
        "key": getattr(settings, "LEADS_WIDGET_RATE_PER_KEY", 600),
    }


def error_response(code: str, message: str, status: int, fields=None, **extra) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields, **extra), status=status)


def not_found() -> JsonResponse:
    return error_response("not_found", _("Unknown or revoked widget key."), 404)


# --- key lookup and rate limits: one cache round trip -------------------------------------

# Fixed windows: the key lookup and both counters in one round trip. Redis down: counted in
# this process instead (fail open, still limited), the key looked up in the database.
_limiter = DegradingLimiter("widget", fallback=LocalBackend(), on_error=OnError.ALLOW, share=None)


# publishable key → its tenant's id, as this process last resolved it (a key never changes
# tenant): lets the gate's round trip also read what the caller needs of that tenant. Only a
# hint: the key itself is checked on every request (revoked keys stop at once).
_TENANT_OF_KEY: dict[str, str] = {}
_TENANT_OF_KEY_MAX = 10_000


def _gate(scope: str, key: str, ip: str, reads: Callable[[str], list[str]] | None):
    """(cached widget tenant or None if not cached, throttled, retry after in seconds, what
    was found of `reads(tenant_id)` when this process knows the key's tenant)."""
    limits = rate_limits()
    tenant_id = _TENANT_OF_KEY.get(key) if reads else None
    lookup = widget_tenant_cache_key(key)
    decisions, found = _limiter.hit_fixed(
        [
            (f"wrl:{scope}:ip:{ip}", Rate(limits["ip"], WINDOW_SECONDS)),
            (f"wrl:{scope}:key:{key}", Rate(limits["key"], WINDOW_SECONDS)),
        ],
        reads=[lookup, *(reads(tenant_id) if tenant_id else ())],
    )
    throttled = not all(decision.allowed for decision in decisions)
    cached = found.get(lookup)
    return cached, throttled, int(decisions[0].retry_after), (tenant_id, found)


def enter(request, scope: str, key: str):
    """Resolve the key and count the request: (widget tenant, None) or (None, error)."""
    widget, error, _found = enter_reading(request, scope, key)
    return widget, error


def enter_reading(request, scope: str, key: str, reads: Callable[[str], list[str]] | None = None):
    """As `enter`, and in the same round trip the cache keys `reads(tenant_id)` of the key's
    tenant (when this process has seen the key before): (widget, error, found) where `found`
    is a `get_many` answer, or None when they were not read."""
    ip = client_ip(request) or "unknown"
    cached, throttled, retry_after, (read_for, found) = _gate(scope, key, ip, reads)
    if cached is None and not throttled:  # a throttled caller costs no database query
        cached = widget_tenant_load_for_cache(key)
    widget = widget_tenant_from_cache(cached)
    request.widget_origin_resolver = widget.origin_allowed if widget else None
    if widget is not None and reads is not None:
        if len(_TENANT_OF_KEY) >= _TENANT_OF_KEY_MAX:
            _TENANT_OF_KEY.clear()
        _TENANT_OF_KEY[key] = widget.tenant_id
    if widget is None or read_for != widget.tenant_id:
        found = None
    if widget is None and not throttled:
        return None, not_found(), None
    if throttled:
        response = error_response(
            "throttled",
            _("Too many requests. Try again later."),
            429,
            retry_after=retry_after,
        )
        response["Retry-After"] = str(retry_after)
        return None, response, None
    return widget, None, found


def origin_refused(request, widget: WidgetTenant):
    """A page on a site the tenant has not allowed yet: a readable 403 (CORS admits this one
    answer) so that the widget can tell the site owner what to do, instead of a network error
    the script would take for a broken connection."""
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    if not origin or widget.origin_allowed(origin) or _is_ours(request, origin):
        return None
    if _origin_of(origin) == origin:  # a real scheme://host[:port], not "null" or junk
        origin_attempt_record(widget.tenant_id, origin)  # the dashboard asks "allow it?"
    response = error_response(
        "origin_not_allowed",
        _("The site %(origin)s is not in the widget's allowed sites.") % {"origin": origin},
        403,
        origin=origin,
    )
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def sent_from_allowed_site(request, widget: WidgetTenant) -> bool:
    """CORS only stops a browser from reading the answer; a simple (text/plain) POST from a
    foreign page still arrives. So the server checks the page's origin itself: the Origin
    header, else the Referer's origin. Fast Lead's own origin (SITE_URL or this very host:
    dashboard preview, demo page, hosted pages) is allowed; a request that names no page at
    all is not a widget's."""
    origin = request.headers.get("Origin", "") or _origin_of(request.headers.get("Referer", ""))
    origin = origin.rstrip("/").lower()
    if not origin or origin == "null":
        return False
    return widget.origin_allowed(origin) or _is_ours(request, origin)  # the tenant's site first


def sent_from_fastlead(request) -> bool:
    """The submitting page is on Fast Lead's own origin (a hosted page, the dashboard)."""
    origin = request.headers.get("Origin", "") or _origin_of(request.headers.get("Referer", ""))
    origin = origin.rstrip("/").lower()
    return bool(origin) and origin != "null" and _is_ours(request, origin)


def _is_ours(request, origin: str) -> bool:
    if origin == _origin_of(settings.SITE_URL):
        return True
    return origin == f"{request.scheme}://{request.get_host()}".lower()


@functools.lru_cache(maxsize=64)  # SITE_URL, and the Referers of a busy page
def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def read_body(request):
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    raw = request.read(MAX_BODY_BYTES + 1) if declared <= MAX_BODY_BYTES else b""
    if declared > MAX_BODY_BYTES or len(raw) > MAX_BODY_BYTES:
        return None, error_response("payload_too_large", _("The request is too large."), 400)
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, error_response("malformed_json", _("The request body is not valid JSON."), 400)


def unavailable() -> JsonResponse:
    """A blocked company, or its plan's hard lead limit reached: the visitor learns only
    that the form is unavailable (nothing about the company's billing)."""
    return error_response("form_unavailable", widget_unavailable_message(), 403)
