"""AI lead enrichment end to end through Celery (issue 6, "Speed").

The whole path runs for real: `enrichment_run_start` (selection, input hashes, the price
authorized from prepaid credit) fans out one `enrich_lead_task` per lead on the `ai` queue
(Redis broker); two real `celery worker` processes (thread pool) claim the rows, call the
model through the managed client — shared limiter in Redis, retries, the anthropic SDK — and
write results, leads and timelines to PostgreSQL. The provider is the local fake of the
Messages API (apps/ai/tests/fake_anthropic.py), answering every call in 300 ms and recording
the arrival time of each request.

1. Limited: AI_REQUESTS_PER_MINUTE=50, a batch of 1,000 leads. The whole batch takes 20
   minutes at 50/min, so the provider side is measured over a representative window
   (--minutes, default 3: three whole rate windows; --minutes 20 runs the batch out).
   Figures: calls in the whole windows against the most allowed, the most calls in any
   60 s window (never above 50), and the fake's 429s.
2. Unlimited: no limit, a batch of --fast-leads (default 600) leads; leads/s from the
   run's start until its last lead is done. The bar: >= 20 leads/s with 2 workers. The
   work is I/O bound only while CPU is free: the workers' CPU time per lead is printed too
   (read from /proc), with the rate two idle cores would carry — compare it when the
   machine is busy with other work (the load average is printed).

Standalone (only 127.0.0.1; needs PostgreSQL and Redis):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fastlead_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/bench_enrichment.py
Knobs: --minutes, --leads (limited batch, 1000), --fast-leads (600), --threads (per worker,
16); BENCH_ENRICH_MINUTES overrides the default window for run_all.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from _common import DEFAULT_BENCH_DATABASE_URL, ROOT, Summary, report, setup_django

WORKERS = 2
LATENCY = 0.3
LIMIT = 50
WINDOW = 60.0
ANSWER = {
    "company": {"value": "ООО Ромашка", "determined": True, "confidence": 0.9},
    "website": {"value": "https://romashka.ru", "determined": True, "confidence": 0.9},
    "industry": {"value": "Розничная торговля", "determined": True, "confidence": 0.8},
    "role": {"value": None, "determined": False, "confidence": 0.1},
    "company_size": {"value": None, "determined": False, "confidence": 0.0},
    "pain_point_hypothesis": {"value": None, "determined": False, "confidence": 0.0},
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_minutes = float(os.environ.get("BENCH_ENRICH_MINUTES", "3"))
    parser.add_argument("--minutes", type=float, default=default_minutes)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--fast-leads", type=int, default=600)
    parser.add_argument("--threads", type=int, default=16, help="concurrency per worker")
    parser.add_argument("--pool", choices=("threads", "prefork"), default="threads")
    args = parser.parse_args()
    if args.minutes < 1:
        parser.error("--minutes must be at least 1 (one whole 60 s rate window)")
    return args


def _redis_url() -> str | None:
    """The Redis for the broker and the shared limiter, or None when it is not running."""
    url = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5).close()
    except OSError:
        return None
    return url


def _environment(redis_url: str) -> None:
    """This process and the workers: PostgreSQL, Redis (broker, cache, limiter), a key for
    the fake provider so runs are not offline."""
    os.environ.setdefault(
        "DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
    )
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ["CACHE_KEY_PREFIX"] = f"bench-enrich-{uuid.uuid4().hex[:6]}"  # own limiter
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["ANTHROPIC_API_KEY"] = "sk-ant-bench-key"
    os.environ["AI_TOKENS_PER_MINUTE"] = "0"
    os.environ["AI_RETRY_MAX_SECONDS"] = "60"


# --- workers -------------------------------------------------------------------------------


class Workers:
    """Two `celery worker` processes on the ai (and billing) queues (thread pool, or
    prefork), with the CPU time they use."""

    def __init__(self, *, base_url: str, per_minute: int, threads: int, pool: str = "threads"):
        self.env = {
            **os.environ,
            "ANTHROPIC_BASE_URL": base_url,
            "AI_REQUESTS_PER_MINUTE": str(per_minute),
            "LOG_LEVEL": "WARNING",
        }
        self.threads = threads
        self.pool = pool
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def __enter__(self) -> Workers:
        from fastlead.celery import app

        celery = str(Path(sys.executable).with_name("celery"))
        names = []
        for number in range(WORKERS):
            name = f"bench-enrich-{number}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
            log = Path(tempfile.mkstemp(prefix=f"bench-enrich-w{number}-", suffix=".log")[1])
            command = [
                celery, "-A", "fastlead", "worker", "-Q", "ai,billing", "-P", self.pool,
                "-c", str(self.threads), "-n", name,
                "--without-heartbeat", "--without-gossip", "--without-mingle",
            ]  # fmt: skip
            with log.open("w") as out:
                self.procs.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=self.env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            self.logs.append(log)
            names.append(f"celery@{name}" if "@" not in name else name)
        deadline = time.time() + 300
        while time.time() < deadline:
            replies = app.control.ping(destination=names, timeout=1.0) or []
            if {name for reply in replies for name in reply} >= set(names):
                return self
            if any(proc.poll() is not None for proc in self.procs):
                break
        self.__exit__()
        raise RuntimeError(f"the celery workers did not start; see {self.logs}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the workers and their pool children so far (Linux /proc)."""
        pids = {proc.pid for proc in self.procs}
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid in pids or ppid in pids:
                total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _purge_queues() -> None:
    """Drop tasks a stopped phase left in the broker (its leads belong to a dead tenant)."""
    from fastlead.celery import app

    with app.connection_for_write() as connection:
        for queue in ("ai", "billing"):
            with contextlib.suppress(Exception):  # a queue that never existed
                connection.default_channel.queue_purge(queue)


# --- data ----------------------------------------------------------------------------------


def _tenant(label: str, leads: int):
    """A fresh company with the tool, plenty of prepaid credit and `leads` leads."""
    from apps.billing.services.credits import credit_add
    from apps.core.money import Money
    from apps.features.services import tenant_feature_set
    from apps.leads.ingestion import ingest_leads
    from apps.tenants.models import Tenant

    suffix = uuid.uuid4().hex[:8]
    tenant = Tenant.objects.create(name=f"Bench enrichment {label}", slug=f"bench-en-{suffix}")
    tenant_feature_set(tenant=tenant, feature="enrichment", mode="grant", reason="bench")
    credit_add(
        tenant=tenant,
        money=Money(10**11, "RUB"),
        reason="bench",
        idempotency_key=f"bench-credit-{suffix}",
    )
    items = [{"email": f"person{i}@firm{i}.ru", "name": f"Person {i}"} for i in range(leads)]
    for start in range(0, leads, 500):
        outcome = ingest_leads(tenant=tenant, items=items[start : start + 500], source="api")
        assert outcome.summary["rejected"] == 0
    return tenant


def _start_run(tenant):
    from apps.enrichment.services import enrichment_run_start
    from apps.leads.models import Lead

    with _scoped(tenant):
        ids = list(Lead.objects.for_tenant(tenant).values_list("pk", flat=True))
    run = enrichment_run_start(tenant=tenant, actor=None, lead_ids=ids)
    assert not run.offline and run.leads_billable == len(ids), run
    return run


def _scoped(tenant):
    from apps.tenants.scoping import tenant_scope

    return tenant_scope(tenant)


def _run_state(tenant, run_id):
    from apps.enrichment.models import EnrichmentRun

    return EnrichmentRun.objects.for_tenant(tenant).get(pk=run_id)


def _cleanup(tenant) -> None:
    """Delete the bench company (best effort: a run still in flight may hold rows)."""
    from django.db import transaction

    from apps.enrichment.models import EnrichmentRun

    try:
        with transaction.atomic():
            EnrichmentRun.objects.for_tenant(tenant).delete()  # they protect the charges
            tenant.delete()
    except Exception as exc:
        print(f"  (left the bench company {tenant.slug} in the database: {exc.__class__.__name__})")


# --- phases --------------------------------------------------------------------------------


def _whole_windows(arrivals: list[float], seconds: float) -> tuple[int, int, float]:
    """Calls in the whole windows from the first arrival within `seconds`, allowed, ratio."""
    first = arrivals[0]
    windows = max(int(seconds // WINDOW), 1)
    inside = sum(1 for at in arrivals if at < first + windows * WINDOW)
    return inside, windows * LIMIT, inside / (windows * LIMIT)


def limited_phase(args) -> dict:
    from apps.ai.tests.fake_anthropic import FakeAnthropic

    seconds = args.minutes * 60
    tenant = _tenant("limited", args.leads)
    print(
        f"\n[limited] {LIMIT} requests/minute shared by {WORKERS} workers x {args.threads} "
        f"({args.pool}); a batch of {args.leads} leads (all of it takes "
        f"{args.leads / LIMIT:.0f} min at that rate); the provider is measured over the first "
        f"{args.minutes:g} min"
    )
    with FakeAnthropic(latency=LATENCY, rate_limit=(LIMIT, WINDOW)) as fake:
        fake.default_output = ANSWER
        with Workers(
            base_url=fake.base_url, per_minute=LIMIT, threads=args.threads, pool=args.pool
        ):
            run = _start_run(tenant)
            # The clock starts at the provider's first request (workers pick the tasks up).
            while not fake.requests:
                time.sleep(0.05)
            first = fake.arrivals()[0]
            while time.monotonic() - first < seconds + 1:
                if _run_state(tenant, run.pk).status == "done":
                    break
                time.sleep(1)
            arrivals = [at for at in fake.arrivals() if at - first < seconds]
            rejected = fake.limit_violations
            peak = fake.max_in_window(WINDOW)
            state = _run_state(tenant, run.pk)
    _purge_queues()
    _cleanup(tenant)
    if not arrivals:
        raise RuntimeError("no request reached the fake provider")
    inside, allowed, utilization = _whole_windows(arrivals, seconds)
    print(
        f"  {len(arrivals)} calls reached the provider in {args.minutes:g} min from its first "
        f"call; the run then had {state.leads_enriched} leads enriched, {state.leads_failed} failed"
    )
    print(
        f"  utilization: {inside} calls in {allowed // LIMIT} whole 60 s windows, {allowed} "
        f"allowed -> {utilization:.1%} of the allowed rate (bar: >= 90 %)"
    )
    print(
        f"  never above: at most {peak} calls in any 60 s window (limit {LIMIT}); the provider "
        f"answered 429 {rejected} times"
    )
    return {
        "inside": inside,
        "allowed": allowed,
        "utilization": utilization,
        "peak": peak,
        "rejected": rejected,
        "failed": state.leads_failed,
    }


def unlimited_phase(args) -> dict:
    from apps.ai.tests.fake_anthropic import FakeAnthropic

    tenant = _tenant("unlimited", args.fast_leads)
    shape = f"{WORKERS} workers x {args.threads} ({args.pool} pool)"
    print(f"\n[unlimited] no limit, {shape}, {args.fast_leads} leads")
    with FakeAnthropic(latency=LATENCY) as fake:
        fake.default_output = ANSWER
        with Workers(
            base_url=fake.base_url, per_minute=0, threads=args.threads, pool=args.pool
        ) as workers:
            cpu_before = workers.cpu_seconds()
            run = _start_run(tenant)
            deadline = time.time() + 600
            while time.time() < deadline:
                state = _run_state(tenant, run.pk)
                if state.status == "done":
                    break
                time.sleep(0.2)
            cpu = workers.cpu_seconds() - cpu_before
            calls = len(fake.requests)
    _purge_queues()
    if state.status != "done":
        _cleanup(tenant)
        raise RuntimeError(f"the run did not finish in 10 minutes: {state.leads_done} done")
    seconds = (state.finished_at - state.started_at).total_seconds()
    rate = state.leads_enriched / seconds
    print(
        f"  {state.leads_enriched} enriched, {state.leads_failed} failed, {calls} provider calls "
        f"in {seconds:.1f} s (run start -> last lead) -> {rate:.1f} leads/s (bar: >= 20)"
    )
    cpu_ms = cpu * 1000 / max(state.leads_enriched, 1)
    cores, load = os.cpu_count() or 1, os.getloadavg()[0]
    capacity = min(cores * 1000 / cpu_ms, WORKERS * args.threads / LATENCY) if cpu_ms else 0
    print(
        f"  worker CPU: {cpu_ms:.0f} ms per lead -> {cores} free cores would carry about "
        f"{capacity:.0f} leads/s; this machine's load average was {load:.1f} on {cores} cores"
    )
    _cleanup(tenant)
    return {
        "rate": rate,
        "seconds": seconds,
        "enriched": state.leads_enriched,
        "cpu_ms": cpu_ms,
        "capacity": capacity,
        "load": load,
    }


def _figure(value: float, n: int) -> Summary:
    return Summary(n=n, median=value, p95=value, mean=value)


def main() -> int:
    args = _arguments()
    redis_url = _redis_url()
    if redis_url is None:
        report(
            "Enrichment through Celery (limited and unlimited)",
            figure="",
            figure_summary=None,
            yardstick="",
            yardstick_summary=None,
            status="skipped",
            note="needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14)",
        )
        return 0
    _environment(redis_url)
    from run_all import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    sys.path.insert(0, str(ROOT))
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    print(
        f"fake Messages API: {LATENCY * 1000:.0f} ms per call; {WORKERS} celery worker processes "
        f"({args.pool} x {args.threads}) on the ai queue; broker, cache and limiter on "
        f"{os.environ['REDIS_URL']}; database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}"
    )
    limited = limited_phase(args)
    limited_ok = (
        limited["utilization"] >= 0.9 and limited["peak"] <= LIMIT and limited["rejected"] == 0
    )
    report(
        "Enrichment under 50 requests/minute: provider-side rate vs allowed",
        figure=f"calls per 60 s window at the provider (first {args.minutes:g} min of the batch)",
        figure_summary=_figure(limited["inside"] / (limited["allowed"] / LIMIT), limited["inside"]),
        yardstick=f"allowed: {LIMIT} per window",
        yardstick_summary=_figure(float(LIMIT), limited["allowed"]),
        unit="calls",
        status="ok" if limited_ok else "below bar",
        goal="≥ 90 % of 50/min, never above, no 429",
        goal_met=limited_ok,
        note=(
            f"utilization {limited['utilization']:.1%}, peak {limited['peak']}/{LIMIT} in any "
            f"60 s, {limited['rejected']} x 429, measured over {args.minutes:g} of the "
            f"{args.leads / LIMIT:.0f} min batch"
        ),
    )
    unlimited = unlimited_phase(args)
    report(
        "Enrichment without a limit, 2 celery workers: throughput",
        figure=f"leads/s, {WORKERS} workers x {args.threads} ({args.pool}), 300 ms per call",
        figure_summary=_figure(unlimited["rate"], unlimited["enriched"]),
        yardstick="the bar: 20 leads/s",
        yardstick_summary=_figure(20.0, 1),
        unit="leads/s",
        status="ok" if unlimited["rate"] >= 20 else "below bar",
        goal="≥ 20 leads/s, measured",
        goal_met=unlimited["rate"] >= 20,
        note=(
            f"{unlimited['rate']:.1f} leads/s measured (load average {unlimited['load']:.1f}); "
            f"{unlimited['cpu_ms']:.0f} ms worker CPU per lead, about "
            f"{unlimited['capacity']:.0f} leads/s on free cores"
        ),
    )
    print(
        f"\nlimited: {limited['utilization']:.1%} of 50/min over {args.minutes:g} min, peak "
        f"{limited['peak']}/{LIMIT}, {limited['rejected']} x 429 | unlimited: "
        f"{unlimited['rate']:.1f} leads/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
