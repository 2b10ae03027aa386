"""AI calls under the shared rate limit, and without one (issue 6, "Speed").

A local fake of Anthropic's Messages API answers every call in 300 ms and enforces its own
limit (a 429 for any request above LIMIT in a sliding WINDOW). Two Celery-like worker
processes, each with THREADS concurrent slots (like `celery worker --pool threads`), run
lead-enrichment calls through the real stack: `ManagedLLMClient` -> limiter (Redis when
reachable, else the file-cache fallback) -> retry -> anthropic SDK -> fake, with one
`AIUsage` row written per call.

1. Limited: 50 requests per window. The issue's case is 50/minute for a 1,000-lead batch
   (20 minutes: BENCH_AI_FULL=1). By default time is compressed 10x (50 per 6 s window,
   500 calls, about a minute), which tests the same property: the provider stays at >= 90 %
   of the allowed rate and never above it. Figures: calls in the whole windows of the run
   against the most allowed in them, the most calls the provider saw in any window, and the
   provider's 429s.
2. Unlimited: the same two workers, no limit; the bar is >= 20 calls/s.

Standalone (bounded run time, only 127.0.0.1):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fastlead_bench \\
        .venv/bin/python bench/bench_ai_ratelimit.py
Knobs: BENCH_AI_FULL=1, BENCH_AI_SCALE (time compression, default 10), BENCH_AI_CALLS
(limited batch, default 500), BENCH_AI_UNLIMITED_CALLS (default 600), BENCH_AI_THREADS
(slots per worker, default 8), BENCH_AI_MAX_SECONDS (per phase, default 150).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import socket
import sys
import time
import uuid
from urllib.parse import urlsplit

from _common import DEFAULT_BENCH_DATABASE_URL, ROOT, Summary, report, setup_django

FULL = os.environ.get("BENCH_AI_FULL") == "1"
SCALE = 1.0 if FULL else float(os.environ.get("BENCH_AI_SCALE", "10"))
LIMIT = 50
WINDOW = 60.0 / SCALE
CALLS = 1000 if FULL else int(os.environ.get("BENCH_AI_CALLS", "500"))
UNLIMITED_CALLS = int(os.environ.get("BENCH_AI_UNLIMITED_CALLS", "600"))
THREADS = int(os.environ.get("BENCH_AI_THREADS", "8"))
WORKERS = 2
LATENCY = 0.3
MAX_SECONDS = 1500.0 if FULL else float(os.environ.get("BENCH_AI_MAX_SECONDS", "150"))

ANSWER = {
    "company": {"value": "romashka.ru", "determined": True, "confidence": 0.9},
    "website": {"value": "https://romashka.ru", "determined": True, "confidence": 0.9},
    "industry": {"value": None, "determined": False, "confidence": 0.1},
    "role": {"value": None, "determined": False, "confidence": 0.1},
    "company_size": {"value": None, "determined": False, "confidence": 0.0},
    "pain_point_hypothesis": {"value": None, "determined": False, "confidence": 0.0},
}


def _choose_redis() -> str:
    url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL")
    url = url or "redis://127.0.0.1:6379/14"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5).close()
    except OSError:
        return ""
    return url


def _worker(base_url, tenant_id, limited, namespace, remaining, start, out) -> None:
    """One worker process: THREADS slots taking calls from the shared counter."""
    import threading

    setup_django()
    from apps.ai.client import ManagedLLMClient
    from apps.ai.providers.anthropic_client import AnthropicClient, output_format
    from apps.ai.providers.base import ProviderError
    from apps.ai.ratelimit import DEFAULT_SPREAD, RateLimiter, default_backend
    from apps.ai.retry import RetryPolicy
    from apps.enrichment.prompt import EnrichmentOutput, build_enrichment_request

    adapter = AnthropicClient(
        api_key="sk-ant-bench", base_url=base_url, model="claude-sonnet-4-6", max_tokens=512
    )
    limiter = None
    if limited:
        limiter = RateLimiter(
            requests_per_window=LIMIT,
            window_seconds=WINDOW,
            spread=DEFAULT_SPREAD,  # as in production: 5 per tenth of the window
            backend=default_backend(),
            namespace=namespace,
            max_wait_seconds=MAX_SECONDS,
        )
    client = ManagedLLMClient(
        adapter, limiter=limiter, retry_policy=RetryPolicy(max_attempts=3, max_seconds=30)
    )
    # Warm up like a long-running worker: the SDK's lazy imports and the schema, so that no
    # first call spends seconds between its grant and its request.
    _ = adapter._sdk.messages
    output_format(EnrichmentOutput)
    start.wait(timeout=120)
    deadline = time.time() + MAX_SECONDS
    counts = {"ok": 0, "error": 0}
    lock = threading.Lock()

    def slot() -> None:
        from django.db import connection

        while time.time() < deadline:
            with remaining.get_lock():
                if remaining.value <= 0:
                    break
                remaining.value -= 1
                number = remaining.value
            facts = {"email": f"lead{number}@company{number}.ru", "name": "Bench"}
            try:
                client.structured(build_enrichment_request(facts, tenant_id=tenant_id))
                outcome = "ok"
            except ProviderError:
                outcome = "error"
            with lock:
                counts[outcome] += 1
        connection.close()

    threads = [threading.Thread(target=slot) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(counts)


def _run_phase(fake, tenant_id, *, limited: bool, calls: int) -> tuple[dict, float]:
    context = multiprocessing.get_context("spawn")
    remaining, out = context.Value("i", calls), context.Queue()
    start = context.Barrier(WORKERS + 1)  # every worker set up and warm before the clock
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    args = (fake.base_url, tenant_id, limited, namespace, remaining, start, out)
    workers = [context.Process(target=_worker, args=args) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    start.wait(timeout=180)
    started = time.time()
    totals = {"ok": 0, "error": 0}
    for _ in workers:
        for key, value in out.get(timeout=MAX_SECONDS + 120).items():
            totals[key] += value
    for worker in workers:
        worker.join(timeout=30)
    return totals, time.time() - started


def _whole_window_utilization(arrivals: list[float]) -> tuple[int, int, float]:
    """Calls in the whole windows from the first arrival, the most allowed in them, ratio."""
    first, last = arrivals[0], arrivals[-1]
    windows = max(int((last - first) // WINDOW), 1)
    inside = sum(1 for at in arrivals if at < first + windows * WINDOW)
    return inside, windows * LIMIT, inside / (windows * LIMIT)


def _rate_summary(value: float, n: int) -> Summary:
    return Summary(n=n, median=value, p95=value, mean=value)


def _prepare_tenant() -> str:
    from django.core.management import call_command

    from apps.tenants.models import Tenant

    call_command("migrate", "--noinput", verbosity=0)
    tenant, _created = Tenant.objects.get_or_create(slug="bench-ai", defaults={"name": "Bench AI"})
    return str(tenant.pk)


def main() -> int:
    os.environ.setdefault(
        "DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
    )
    redis_url = _choose_redis()
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    from run_all import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    sys.path.insert(0, str(ROOT))
    from apps.ai.tests.fake_anthropic import FakeAnthropic

    tenant_id = _prepare_tenant()
    backend = f"Redis {redis_url}" if redis_url else "the file-cache fallback"
    print(
        f"fake Messages API: {LATENCY * 1000:.0f} ms per call; {WORKERS} worker processes x "
        f"{THREADS} slots; limiter on {backend}"
    )

    # 1. limited
    per_minute = LIMIT * 60 / WINDOW
    print(
        f"\n[limited] {LIMIT} requests per {WINDOW:g} s window ({per_minute:g}/min"
        f"{'' if FULL else f', the issue 50/min compressed {SCALE:g}x'}), {CALLS} calls"
    )
    with FakeAnthropic(latency=LATENCY, rate_limit=(LIMIT, WINDOW)) as fake:
        fake.default_output = ANSWER
        totals, elapsed = _run_phase(fake, tenant_id, limited=True, calls=CALLS)
        arrivals = fake.arrivals()
        peak = fake.max_in_window(WINDOW)
        slice_peak = fake.max_in_window(WINDOW / 10)
        rejected = fake.limit_violations
    inside, allowed, utilization = _whole_window_utilization(arrivals)
    print(
        f"  {totals['ok']} ok, {totals['error']} failed, {len(arrivals)} reached the provider "
        f"in {elapsed:.1f} s"
    )
    print(
        f"  utilization: {inside} calls in the run's whole windows, {allowed} allowed -> "
        f"{utilization:.1%} of the allowed rate (bar: >= 90 %)"
    )
    print(
        f"  never above: at most {peak} calls in any {WINDOW:g} s window (limit {LIMIT}); "
        f"the provider answered 429 {rejected} times"
    )
    print(
        f"  smoothing (best effort): at most {slice_peak} arrivals in any {WINDOW / 10:g} s; "
        f"grants are held to {math.ceil(LIMIT / 10)} per tenth of the window, and tens of ms "
        f"of grant-to-arrival jitter can bunch two neighbouring tenths"
    )
    limited_ok = utilization >= 0.9 and peak <= LIMIT and rejected == 0
    report(
        "AI calls under a 50-per-window shared limit: provider-side rate vs allowed",
        figure=f"calls per {WINDOW:g} s window reaching the provider (whole windows)",
        figure_summary=_rate_summary(inside / (allowed / LIMIT), inside),
        yardstick=f"allowed: {LIMIT} per window",
        yardstick_summary=_rate_summary(float(LIMIT), allowed),
        unit="calls",
        status="ok" if limited_ok else "below bar",
        goal="≥ 90 % of the limit, never above, no 429",
        goal_met=limited_ok,
        note=f"utilization {utilization:.1%}, peak {peak}/{LIMIT} in any window, {rejected} x 429",
    )

    # 2. unlimited
    print(f"\n[unlimited] no limit, {UNLIMITED_CALLS} calls")
    with FakeAnthropic(latency=LATENCY) as fake:
        fake.default_output = ANSWER
        totals, _elapsed = _run_phase(fake, tenant_id, limited=False, calls=UNLIMITED_CALLS)
        arrivals = fake.arrivals()
    span = (arrivals[-1] - arrivals[0]) + LATENCY if len(arrivals) > 1 else math.inf
    rate = totals["ok"] / span
    print(f"  {totals['ok']} ok, {totals['error']} failed in {span:.1f} s -> {rate:.1f} calls/s")
    print(f"  bar: >= 20 calls/s with {WORKERS} workers")
    report(
        "AI calls without a limit, 2 workers: throughput",
        figure=f"calls/s, {WORKERS} processes x {THREADS} slots, 300 ms per call",
        figure_summary=_rate_summary(rate, totals["ok"]),
        yardstick="the bar: 20 calls/s",
        yardstick_summary=_rate_summary(20.0, 1),
        unit="calls/s",
        status="ok" if rate >= 20 else "below bar",
        goal="≥ 20 calls/s",
        goal_met=rate >= 20,
        note=f"{rate:.1f} calls/s",
    )
    print(
        f"\nlimited: {utilization:.1%} of the allowed rate, peak {peak}/{LIMIT} per window, "
        f"{rejected} x 429 | unlimited: {rate:.1f} calls/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
