"""The public widget's answer when the database itself is down: 503 with Retry-After.

Only the database counts: Redis down is no reason to refuse a visitor (the limits fall back
and the lookups go to the database, see `apps.core.redis_outage`), so a submission is still
stored. When the database cannot be reached (OperationalError, InterfaceError: Django's or
the driver's) the visitor's
browser is told to come back (`static/widget/fastlead.js` retries with backoff and keeps the
form filled in), never a generic 500. CORS headers are given only from what the cache already
knows of the key (no query): without it the browser sees a network error and retries too.
"""

from __future__ import annotations

import functools

import structlog
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.core.api import error_body
from apps.tenants.keys import widget_tenant_cache_key, widget_tenant_from_cache

RETRY_AFTER_SECONDS = 10

logger = structlog.get_logger("fastlead.widget")


def answer_503_when_database_down(view):
    """Decorate a widget view (`view(request, publishable_key)`) as the module says."""

    @functools.wraps(view)
    def wrapped(request, publishable_key: str, *args, **kwargs):
        try:
            return view(request, publishable_key, *args, **kwargs)
        except _database_down_errors() as exc:
            logger.warning("widget_database_unavailable", error=type(exc).__name__)
            if getattr(request, "widget_origin_resolver", None) is None:
                request.widget_origin_resolver = _cached_origin_resolver(publishable_key)
            return database_unavailable()

    return wrapped


def _database_down_errors() -> tuple[type[Exception], ...]:
    """Django's, and the driver's own (ingestion talks to psycopg directly for COPY)."""
    driver = connection.Database
    return (OperationalError, InterfaceError, driver.OperationalError, driver.InterfaceError)


def database_unavailable() -> JsonResponse:
    message = _("The form cannot take requests for a moment. Please try again shortly.")
    response = JsonResponse(
        error_body("service_unavailable", message, None, retry_after=RETRY_AFTER_SECONDS),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _cached_origin_resolver(publishable_key: str):
    try:
        widget = widget_tenant_from_cache(cache.get(widget_tenant_cache_key(publishable_key)))
    except Exception:  # the cache is down too: no CORS headers (fail closed)
        return None
    return widget.origin_allowed if widget else None
