"""Entitlement and quota checks: what each adds to a request (in-process, PostgreSQL).

1. Entitlement check. Yardstick: a minimal Django view through the whole middleware stack
   doing one indexed SELECT and returning JSON. Figure: the same view calling
   `ensure_feature(tenant, "export")` first (the cached snapshot: one cache round trip).
2. Quota check. Yardstick: a view storing one row in a transaction (what lead ingestion
   does anyway). Figure: the same view reserving the lead with `lead_quota_reserve` inside
   that transaction (hard limit: one conditional UPDATE ... RETURNING on the meter row).
   A third run shows the unlimited plan, which returns from the snapshot without a query.

The issue's bar: each check adds under 1 ms median. Standalone:
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fastlead_bench \\
        .venv/bin/python bench/bench_entitlements.py
(creates and migrates the database if needed; uses Redis at BENCH_REDIS_URL or REDIS_URL,
default redis://127.0.0.1:6379/14 when reachable, else the file cache).
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import types
from urllib.parse import urlsplit

from _common import DEFAULT_BENCH_DATABASE_URL, Summary, report, setup_django, time_ms

WARMUP = int(os.environ.get("BENCH_WARMUP", "100"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
BENCH_PLAN = "bench_hard"


def _choose_redis() -> str:
    url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL")
    url = url or "redis://127.0.0.1:6379/14"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5).close()
    except OSError:
        return ""
    return url


def _views():
    from django.db import connection, transaction
    from django.http import JsonResponse

    from apps.billing.quotas import lead_quota_reserve
    from apps.features.guards import ensure_feature
    from apps.tenants.models import Tenant

    def read(request):
        tenant = Tenant.objects.only("id", "name").get(pk=request.GET["t"])
        return JsonResponse({"name": tenant.name})

    def read_guarded(request):
        ensure_feature(request.GET["t"], "export")
        return read(request)

    def write(request, *, quota: bool = False):
        tenant_id = request.GET["t"]
        with transaction.atomic():
            if quota:
                lead_quota_reserve(tenant_id, 1).raise_if_refused()
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_quota_leads (tenant_id) VALUES (%s)", [tenant_id])
        return JsonResponse({"ok": True})

    return {
        "read": read,
        "read_guarded": read_guarded,
        "write": write,
        "write_quota": lambda request: write(request, quota=True),
    }


def _install_urlconf() -> str:
    """The bench views beside the project's own URLs (the middleware reverses some)."""
    from django.urls import include, path

    module = types.ModuleType("bench_entitlements_urls")
    module.urlpatterns = [path(f"bench/{name}", view) for name, view in _views().items()]
    module.urlpatterns.append(path("", include("fastlead.urls")))
    sys.modules[module.__name__] = module
    return module.__name__


def _tenant(slug: str, plan_code: str):
    from apps.billing import services
    from apps.billing.models import Subscription
    from apps.tenants.models import Tenant

    tenant, _created = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug})
    live = Subscription.objects.for_tenant(tenant).filter(status="active").first()
    if live is None or live.plan.code != plan_code:
        from apps.billing.models import Plan

        services.subscription_activate(tenant=tenant, plan=Plan.objects.get(code=plan_code))
    return tenant


def _prepare():
    from django.core.management import call_command
    from django.db import connection

    from apps.billing.models import Plan, UsageMeter

    call_command("migrate", "--noinput", verbosity=0)
    Plan.objects.get_or_create(
        code=BENCH_PLAN,
        defaults={
            "name_ru": "Бенчмарк",
            "name_en": "Bench",
            "price_amount": 100,
            "currency": "RUB",
            "lead_limit": 10**9,
            "limit_mode": "hard",
            "tools": ["export"],
            "status": "closed",  # never on sale
        },
    )
    hard = _tenant("bench-quota-hard", BENCH_PLAN)
    unlimited = _tenant("bench-quota-unlimited", "business")
    UsageMeter.objects.for_tenant(hard).update(leads_used=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_quota_leads (id bigserial PRIMARY KEY, "
            "tenant_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("TRUNCATE bench_quota_leads")
    return hard, unlimited


def _measure(client, urls: dict[str, str]) -> dict[str, list[float]]:
    calls = {label: (lambda url=url: client.get(url)) for label, url in urls.items()}
    for label, call in calls.items():
        response = call()
        assert response.status_code == 200, (label, response.status_code, response.content)
    for _ in range(WARMUP):
        for call in calls.values():
            call()
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(REQUESTS):  # interleaved, so drift hits every variant alike
        for label, call in calls.items():
            samples[label].append(time_ms(call))
    return samples


def _paired_median(figure: list[float], yardstick: list[float]) -> float:
    """Median of per-round differences: each round ran both back to back, so load that
    comes and goes (other processes on the machine) cancels out."""
    return statistics.median(f - y for f, y in zip(figure, yardstick, strict=True))


def _function_costs(hard, unlimited) -> dict[str, float]:
    """The checks alone, in-process, without HTTP: median ms per call."""
    from django.db import connection, transaction

    from apps.billing.quotas import lead_quota_reserve
    from apps.features.guards import ensure_feature
    from apps.features.selectors import entitlements_invalidate

    def insert(tenant_id):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_quota_leads (tenant_id) VALUES (%s)", [tenant_id])

    def write(tenant, quota):
        with transaction.atomic():
            if quota:
                lead_quota_reserve(tenant.pk, 1)
            insert(tenant.pk)

    def cold_check():
        entitlements_invalidate(hard.pk)
        ensure_feature(hard.pk, "export")

    calls = {
        "nothing": lambda: None,
        "ensure_feature": lambda: ensure_feature(hard.pk, "export"),
        "invalidate": lambda: entitlements_invalidate(hard.pk),
        "invalidate + ensure_feature": cold_check,
        "insert tx": lambda: write(hard, False),
        "insert tx + reserve (hard)": lambda: write(hard, True),
        "insert tx + reserve (unlimited)": lambda: write(unlimited, True),
    }
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(WARMUP):
        for call in calls.values():
            call()
    for _ in range(REQUESTS):
        for label, call in calls.items():
            samples[label].append(time_ms(call))
    return {
        "entitlement check": _paired_median(samples["ensure_feature"], samples["nothing"]),
        "entitlement check, cold": _paired_median(
            samples["invalidate + ensure_feature"], samples["invalidate"]
        ),
        "samples": samples,
        "quota check, hard limit": _paired_median(
            samples["insert tx + reserve (hard)"], samples["insert tx"]
        ),
        "quota check, unlimited": _paired_median(
            samples["insert tx + reserve (unlimited)"], samples["insert tx"]
        ),
    }


def _cold_queries(tenant) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.features.guards import ensure_feature
    from apps.features.selectors import entitlements_invalidate

    entitlements_invalidate(tenant.pk)
    with CaptureQueriesContext(connection) as queries:
        ensure_feature(tenant.pk, "export")
    return len(queries)


def main() -> int:
    os.environ.setdefault(
        "DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
    )
    redis_url = _choose_redis()
    if redis_url:
        os.environ.setdefault("REDIS_URL", redis_url)
    from run_all import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from apps.features.selectors import entitlements_get

    hard, unlimited = _prepare()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"cache: {settings.CACHES['default']['BACKEND']}")
    print(f"requests: {WARMUP} warm-up + {REQUESTS} measured per variant, interleaved")
    for tenant in (hard, unlimited):
        entitlements_get(tenant)

    with override_settings(ROOT_URLCONF=_install_urlconf()):
        client = Client()
        urls = {
            "read": f"/bench/read?t={hard.pk}",
            "read + entitlement": f"/bench/read_guarded?t={hard.pk}",
            "write": f"/bench/write?t={hard.pk}",
            "write + quota (hard limit)": f"/bench/write_quota?t={hard.pk}",
            "write + quota (unlimited)": f"/bench/write_quota?t={unlimited.pk}",
        }
        for label, url in urls.items():
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            print(f"queries per request, {label}: {len(queries)}")
        samples = _measure(client, urls)
    functions = _function_costs(hard, unlimited)
    results = {label: Summary.of(values) for label, values in samples.items()}

    for label, summary in results.items():
        print(f"  {label:28s} {summary.line('ms')}")
    added = {
        "entitlement check": _paired_median(samples["read + entitlement"], samples["read"]),
        "quota check, hard limit": _paired_median(
            samples["write + quota (hard limit)"], samples["write"]
        ),
        "quota check, unlimited": _paired_median(
            samples["write + quota (unlimited)"], samples["write"]
        ),
    }
    print("added to a request (median of paired differences; the bar is 1 ms):")
    for label, ms in added.items():
        verdict = "under" if ms < 1 else "OVER"
        print(
            f"  {label:26s} request {ms:6.3f} ms ({verdict})   "
            f"the call alone {functions[label]:6.3f} ms"
        )

    report(
        "entitlements: a guarded view vs the same view unguarded (one indexed SELECT)",
        figure='ensure_feature(tenant, "export") + one indexed SELECT',
        figure_summary=results["read + entitlement"],
        yardstick="minimal Django view, same middleware, one indexed SELECT",
        yardstick_summary=results["read"],
        goal="adds < 1 ms (median)",
        goal_met=added["entitlement check"] < 1,
        note=f"adds {added['entitlement check']:.3f} ms median",
    )
    cold = Summary.of(
        [f - y for f, y in zip(functions["samples"]["invalidate + ensure_feature"],
                               functions["samples"]["invalidate"], strict=True)]
    )  # fmt: skip
    cold_queries = _cold_queries(hard)
    report(
        "entitlements: cold check (snapshot recomputed) vs the warm check, ms",
        figure='ensure_feature(tenant, "export") right after its snapshot was invalidated',
        figure_summary=cold,
        yardstick="the same check, snapshot cached",
        yardstick_summary=Summary.of(functions["samples"]["ensure_feature"]),
        goal="< 1 ms (median), one query",
        goal_met=cold.median < 1 and cold_queries == 1,
        note=f"{cold_queries} queries on the cold path (billing's plan limits cached)",
    )
    report(
        "quota: lead_quota_reserve in the ingesting transaction vs the insert alone",
        figure="lead_quota_reserve(tenant, 1) (hard limit) + one INSERT in a transaction",
        figure_summary=results["write + quota (hard limit)"],
        yardstick="one INSERT in a transaction, same middleware",
        yardstick_summary=results["write"],
        goal="adds < 1 ms (median)",
        goal_met=added["quota check, hard limit"] < 1,
        note=(
            f"adds {added['quota check, hard limit']:.3f} ms median; "
            f"unlimited plan adds {added['quota check, unlimited']:.3f} ms"
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
