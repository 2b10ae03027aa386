"""The load test people can rerun (issue #23): locust scenarios (bench/locustfile.py) against a
local stack — gunicorn with N workers and one Celery worker, PostgreSQL and Redis — for N = 1
to 4, printing throughput and p50/p95/p99 per scenario and the load average beside them.

    .venv/bin/python bench/load_locust.py [--workers 1,2,3,4] [--seconds 30] [--users 48]

Locust runs from its own venv (.venv-load, made here from requirements-load.txt on first use:
gevent must stay out of the project's venv). The bench database (BENCH_DATABASE_URL) gets a
tenant on a plan whose quota refuses nothing, a publishable key, an API key and an operator.
The widget and API rate limits stay on with limits far above the test's rate (every request
comes from 127.0.0.1), so their Redis round trips are measured too. docs/capacity.md reads
the figures. Not part of `make bench`: it measures capacity, it has no yardstick.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, bench_environment, setup_django
from bench_leads_ingest import prepare_database, quota_plan

BENCH_DIR = Path(__file__).resolve().parent
LOAD_VENV = ROOT / ".venv-load"
SLUG = "load-test"
ORIGIN = "https://load-test.example"
OPERATOR = ("operator@load-test.example", "load-operator-2026")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SERVER_ENV = {
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": "fastlead-load",
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "300",
    "API_THROTTLE_USER": "1000000/minute",
    "LEADS_WIDGET_RATE_PER_IP": "1000000",
    "LEADS_WIDGET_RATE_PER_KEY": "1000000",
}


def ensure_locust() -> Path:
    locust = LOAD_VENV / "bin" / "locust"
    if not locust.exists():
        print("creating .venv-load with locust (requirements-load.txt)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LOAD_VENV)], check=True)
        subprocess.run(
            [str(LOAD_VENV / "bin" / "pip"), "install", "-q", "-r", "requirements-load.txt"],
            cwd=ROOT,
            check=True,
        )
    return locust


def prepare_tenant() -> dict[str, str]:
    """The load tenant with its keys and operator; created once, keys made anew each run."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from apps.billing.services import subscription_activate
    from apps.features.registry import tool_keys
    from apps.features.services import tenant_feature_set
    from apps.tenants.keys import api_key_create, publishable_key_get_or_create
    from apps.tenants.models import Membership, Tenant
    from apps.tenants.roles import Role

    tenant, created = Tenant.objects.get_or_create(
        slug=SLUG, defaults={"name": "Load Test", "allowed_origins": [ORIGIN]}
    )
    if created:
        subscription_activate(tenant=tenant, plan=quota_plan())
        for tool in tool_keys():
            tenant_feature_set(tenant=tenant, feature=tool, mode="grant", reason="load test")
    user = get_user_model().objects.filter(email=OPERATOR[0]).first()
    if user is None:
        user = get_user_model().objects.create_user(email=OPERATOR[0], password=OPERATOR[1])
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        Membership.objects.create(tenant=tenant, user=user, role=Role.OPERATOR)
    _key, raw = api_key_create(tenant=tenant, actor=None, name="load test")
    return {
        "LOAD_TENANT_ID": str(tenant.pk),
        "LOAD_TENANT_SLUG": tenant.slug,
        "LOAD_PUBLISHABLE_KEY": publishable_key_get_or_create(tenant).key,
        "LOAD_API_KEY": raw,
        "LOAD_ORIGIN": ORIGIN,
        "LOAD_OPERATOR_EMAIL": OPERATOR[0],
        "LOAD_OPERATOR_PASSWORD": OPERATOR[1],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment() -> dict[str, str]:
    return {**os.environ, **bench_environment(), **SERVER_ENV}


def start_stack(workers: int, port: int) -> list[subprocess.Popen]:
    env = _environment()
    web = [
        str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip
    tasks = [
        str(Path(sys.executable).with_name("celery")), "-A", "fastlead", "worker",
        "-Q", "default,ai,billing,messaging", "--concurrency", "1", "--loglevel", "WARNING",
    ]  # fmt: skip
    gunicorn = subprocess.Popen(
        web,
        cwd=ROOT,
        env={**env, "WEB_CONCURRENCY": str(workers), "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    worker = subprocess.Popen(
        tasks,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return [gunicorn, worker]
        except OSError:
            if gunicorn.poll() is not None:
                raise SystemExit(gunicorn.stderr.read().decode()[-3000:]) from None
            time.sleep(0.5)
    stop([gunicorn, worker])
    raise SystemExit("gunicorn did not start within 90 s")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def run_locust(locust: Path, port: int, users: int, seconds: int, keys: dict) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        prefix = str(Path(folder) / "stats")
        command = [
            str(locust), "-f", str(BENCH_DIR / "locustfile.py"), "--headless",
            "--host", f"http://127.0.0.1:{port}", "-u", str(users),
            "-r", str(max(users // 4, 1)), "-t", f"{seconds}s", "--csv", prefix,
            "--only-summary", "--loglevel", "WARNING",
        ]  # fmt: skip
        done = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **keys},
            capture_output=True,
            text=True,
            check=False,
        )
        if os.environ.get("LOAD_DEBUG"):
            print(done.stderr[:6000])
        if done.returncode > 1:  # 1: some requests failed, which the table shows
            raise SystemExit(f"locust failed: {done.stderr[-3000:]}")
        with open(f"{prefix}_stats.csv", newline="") as handle:
            return list(csv.DictReader(handle))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,3,4")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=48)
    args = parser.parse_args()
    locust = ensure_locust()
    prepare_database()
    # production settings serve static files from the manifest (whitenoise)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=_environment(),
        check=True,
    )
    setup_django()
    keys = prepare_tenant()
    port = _free_port()
    header = f"{'gunicorn workers':>16} | {'scenario':<26} | {'req/s':>7} | {'p50 ms':>6} | "
    header += f"{'p95 ms':>6} | {'p99 ms':>6} | {'failures':>8} | load avg"
    print(f"\n{args.users} locust users, {args.seconds} s per run, 1 Celery worker\n")
    print(header)
    print("-" * len(header))
    for workers in [int(n) for n in args.workers.split(",")]:
        stack = start_stack(workers, port)
        try:
            rows = run_locust(locust, port, args.users, args.seconds, keys)
        finally:
            stop(stack)
        load = os.getloadavg()[0]
        for row in rows:
            print(
                f"{workers:>16} | {row['Name'][:26]:<26} | {float(row['Requests/s']):>7.1f} | "
                f"{row['50%']:>6} | {row['95%']:>6} | {row['99%']:>6} | "
                f"{row['Failure Count']:>8} | {load:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
