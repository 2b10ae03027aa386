"""Run every bench/bench_*.py against PostgreSQL and print a summary (`make bench`).

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fastlead_bench) is created if
missing and migrated first. Benchmarks print figures, not pass/fail: the summary shows each
figure beside its yardstick and the ratio. The exit status is non-zero only when a benchmark
crashed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from _common import DEFAULT_BENCH_DATABASE_URL, RESULT_PREFIX, ROOT, bench_environment

BENCH_DIR = Path(__file__).resolve().parent


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)


def main() -> int:
    url = os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print(f"BENCH_DATABASE_URL must be PostgreSQL, got {url!r}", file=sys.stderr)
        return 2
    env = {**os.environ, **bench_environment()}
    ensure_database(url)
    print("migrating the bench database (the first run may take a minute)")
    migrated = run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    if migrated.returncode:
        print(migrated.stdout + migrated.stderr, file=sys.stderr)
        return 1

    results, crashed = [], []
    for script in sorted(BENCH_DIR.glob("bench_*.py")):
        print(f"\n=== {script.name}", flush=True)
        proc = run([sys.executable, str(script)], env)
        for line in proc.stdout.splitlines():
            if line.startswith(RESULT_PREFIX):
                results.append(json.loads(line.removeprefix(RESULT_PREFIX)))
            else:
                print(line)
        if proc.returncode:
            crashed.append(script.name)
            print(proc.stderr[-4000:], file=sys.stderr)
    print_summary(results, crashed)
    return 1 if crashed else 0


def print_summary(results: list[dict], crashed: list[str]) -> None:
    print("\n=== summary (medians; ratio = figure / yardstick)")
    for result in results:
        figure, yardstick = result["figure_summary"], result["yardstick_summary"]
        if result["status"] != "ok" or not figure or not yardstick:
            print(f"{result['name']}\n  {result['status']}: {result['note']}")
            continue
        unit = result["unit"]
        print(
            f"{result['name']}\n"
            f"  {figure['median']:.3f} {unit} vs {yardstick['median']:.3f} {unit}"
            f"  ratio {result['ratio']:.2f}x   (p95 {figure['p95']:.3f} vs"
            f" {yardstick['p95']:.3f} {unit})"
        )
    for name in crashed:
        print(f"{name}: CRASHED (see above)")


if __name__ == "__main__":
    sys.exit(main())
