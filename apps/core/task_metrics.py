"""Celery task metrics: how long each task ran and how many failed, per task name.

Connected from fastlead/celery.py. In a prefork worker every child writes to
PROMETHEUS_MULTIPROC_DIR; with CELERY_METRICS_PORT set, the worker's main process serves them
all on that port (`start_metrics_server`) for Prometheus to scrape, one target per worker pod.
"""

import os
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, start_http_server

TASK_SECONDS = Histogram(
    "fastlead_celery_task_seconds",
    "Run time of Celery tasks",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TASK_FAILURES = Counter("fastlead_celery_task_failures", "Celery tasks that raised", ["task"])
TASK_RETRIES = Counter("fastlead_celery_task_retries", "Celery tasks retried", ["task"])

_started: dict[str, float] = {}


def task_started(task_id=None, **kwargs) -> None:
    _started[task_id] = time.monotonic()


def task_finished(task_id=None, task=None, **kwargs) -> None:
    began = _started.pop(task_id, None)
    if began is not None and task is not None:
        TASK_SECONDS.labels(task.name).observe(time.monotonic() - began)


def task_failed(sender=None, **kwargs) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def task_retried(sender=None, **kwargs) -> None:
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


def prepare_directory(**kwargs) -> None:
    """On worker start, before the children fork: an empty multiprocess directory."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def start_metrics_server(**kwargs) -> None:
    """On worker start: serve every child's samples when CELERY_METRICS_PORT is set."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(int(port), registry=registry)
    else:
        start_http_server(int(port))
