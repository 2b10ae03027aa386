"""Run every bench/bench_*.py against PostgreSQL and print a summary (`make bench`).

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fastlead_bench) is created if
missing and migrated first. Arguments narrow the run to the scripts whose names contain one
of them (`run_all.py leads_list payperlead`). Benchmarks print figures, not pass/fail: the
summary shows each figure beside its yardstick and the ratio. The exit status is non-zero only
when a benchmark crashed.
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
    only = sys.argv[1:]  # `run_all.py leads_list payperlead`: the scripts naming one of them
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    for script in [s for s in scripts if not only or any(word in s.name for word in only)]:
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
    """One table: figure, project, yardstick, ratio, goal, and the 1-minute load average
    when the figure was taken (2 shared cores: a high load inflates both sides)."""
    print(f"\n=== summary (medians; ratio = project / yardstick; load now {_load()})")
    header = ("figure", "project", "yardstick", "ratio", "goal", "met", "load")
    rows = [header]
    for result in results:
        figure, yardstick = result["figure_summary"], result["yardstick_summary"]
        unit = result["unit"]
        met = {True: "yes", False: "NO", None: "-"}[result.get("goal_met")]
        rows.append(
            (
                result["name"],
                f"{figure['median']:.3f} {unit} (p95 {figure['p95']:.3f})" if figure else "-",
                f"{yardstick['median']:.3f} {unit}" if yardstick else "-",
                f"{result['ratio']:.2f}x" if result.get("ratio") is not None else "-",
                result.get("goal") or "-",
                met,
                f"{result['load']:.2f}" if result.get("load") is not None else "-",
            )
        )
    widths = [min(max(len(str(row[i])) for row in rows), 70) for i in range(len(header))]
    for row in rows:
        cells = zip(row, widths, strict=True)
        print(" | ".join(str(cell)[:70].ljust(width) for cell, width in cells))
    for name in crashed:
        print(f"{name}: CRASHED (see above)")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
