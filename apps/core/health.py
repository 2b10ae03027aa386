"""Liveness (/healthz: the process answers) and readiness (/readyz: database, cache, broker).

Only the database is needed to serve: with Redis (cache, broker) down the pages, the API and
the widget still work (docs/redis-outage.md), so a failed cache or broker makes the answer
"degraded" (200, the check named) and only a failed database takes the pod out (503)."""

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = "readyz:probe"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")


def _check_broker() -> None:
    from fastlead.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
REQUIRED = frozenset({"database"})


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    results, failed = {}, set()
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # a readiness probe reports, it does not raise
            failed.add(name)
            results[name] = {"ok": False, "error": exc.__class__.__name__}
    if failed & REQUIRED:
        return JsonResponse({"status": "unavailable", "checks": results}, status=503)
    return JsonResponse({"status": "degraded" if failed else "ok", "checks": results})
