"""Shared by the benchmarks: Django against the bench database, timing and reporting.

A benchmark prints its figures for a person and ends with one machine-readable line,
`BENCH_RESULT {json}`, that bench/run_all.py collects into the summary table.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH_RESULT "
DEFAULT_BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fastlead_bench"


def bench_environment() -> dict[str, str]:
    """The environment every benchmark runs in: PostgreSQL, production-like settings."""
    return {
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL),
        "DJANGO_DEBUG": "false",
        # production settings demand real secrets; the benches sign nothing that outlives them
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-" + "s" * 50),
        "JWT_SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY", "bench-only-" + "j" * 50),
        "FIELD_ENCRYPTION_KEYS": os.environ.get(
            "FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1mZXJuZXQta2V5LTAxMjM0NTY3ODk="
        ),
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "fastlead.settings",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }


def vacuum_analyze(*tables: str) -> str:
    """What autovacuum does soon after bulk writes (it is off on some bench machines): VACUUM
    ANALYZE of `tables`, so a bench reads them as a production server would, not through the
    dead rows and unset hint bits other benches left (after a whole `make bench` the report
    lines held 11,000,000 dead rows beside 1,000,000 live ones). Returns the server's
    autovacuum setting, for the bench to print."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
    return autovacuum


def setup_django() -> None:
    """Configure Django on the bench database; log lines are still rendered, then discarded."""
    for key, value in bench_environment().items():
        os.environ.setdefault(key, value)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    _collect_static()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)


def _collect_static() -> None:
    """Production settings serve static files through a manifest: a fresh checkout has none
    until `collectstatic` (which ./scripts/run does), and every page would answer 500."""
    from django.conf import settings
    from django.core.management import call_command

    manifest = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    if manifest and not (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file():
        print("collecting static files (first run on this checkout)", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p95: float
    mean: float

    @classmethod
    def of(cls, samples: list[float]) -> Summary:
        return cls(
            n=len(samples),
            median=statistics.median(samples),
            # one sample (a tiny check run) is its own p95
            p95=(
                statistics.quantiles(samples, n=100, method="inclusive")[94]
                if len(samples) > 1
                else samples[0]
            ),
            mean=statistics.fmean(samples),
        )

    def line(self, unit: str) -> str:
        return (
            f"median {self.median:8.3f} {unit}   p95 {self.p95:8.3f} {unit}   "
            f"mean {self.mean:8.3f} {unit}   (n={self.n})"
        )


def time_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1e6


def report(
    name: str,
    *,
    figure: str,
    figure_summary: Summary | None,
    yardstick: str,
    yardstick_summary: Summary | None,
    unit: str = "ms",
    status: str = "ok",
    note: str = "",
    goal: str = "",
    goal_met: bool | None = None,
) -> None:
    """Print the figure, its yardstick and their ratio (of medians), then the result line."""
    ratio = None
    if figure_summary and yardstick_summary and yardstick_summary.median:
        ratio = figure_summary.median / yardstick_summary.median
    print(f"\n{name}")
    if figure_summary:
        print(f"  figure     {figure}\n             {figure_summary.line(unit)}")
    if yardstick_summary:
        print(f"  yardstick  {yardstick}\n             {yardstick_summary.line(unit)}")
    if ratio is not None:
        p95_ratio = figure_summary.p95 / yardstick_summary.p95
        print(f"  ratio      {ratio:.2f}x the yardstick (median), {p95_ratio:.2f}x (p95)")
    if goal:
        met = {True: "met", False: "NOT met", None: "not judged"}[goal_met]
        print(f"  goal       {goal}: {met}")
    if note:
        print(f"  note       {note}")
    result = {
        "name": name,
        "status": status,
        "figure": figure,
        "yardstick": yardstick,
        "unit": unit,
        "figure_summary": asdict(figure_summary) if figure_summary else None,
        "yardstick_summary": asdict(yardstick_summary) if yardstick_summary else None,
        "ratio": ratio,
        "note": note,
        "goal": goal,
        "goal_met": goal_met,
        "load": os.getloadavg()[0],
    }
    print(RESULT_PREFIX + json.dumps(result, ensure_ascii=False), flush=True)
