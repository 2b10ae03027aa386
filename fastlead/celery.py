"""Celery application: named queues (routes in settings.CELERY_TASK_ROUTES), JSON only, late
acks, schedules in the database (apps/core/schedules.py)."""

import os

from celery import Celery
from celery.signals import (
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    worker_init,
    worker_process_init,
    worker_ready,
)
from django_structlog.celery.steps import DjangoStructLogInitStep
from kombu import Queue

from apps.core import task_metrics
from fastlead.tracing import init_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")

app = Celery("fastlead")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ai", "billing", "messaging")]
app.autodiscover_tasks()
# Bind task_id (and the enqueuing request's request_id) to every log line a task writes.
app.steps["worker"].add(DjangoStructLogInitStep)
# Task run time, failures and retries for /metrics (apps/core/task_metrics.py).
task_prerun.connect(task_metrics.task_started, weak=False)
task_postrun.connect(task_metrics.task_finished, weak=False)
task_failure.connect(task_metrics.task_failed, weak=False)
task_retry.connect(task_metrics.task_retried, weak=False)
worker_init.connect(task_metrics.prepare_directory, weak=False)
worker_ready.connect(task_metrics.start_metrics_server, weak=False)


@worker_process_init.connect(weak=False)
def _start_tracing(**kwargs) -> None:
    """Traces from each pool process (fastlead/tracing.py; nothing without an endpoint)."""
    init_tracing("fastlead-worker")


@setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Celery must not replace the JSON logging that Django set up from settings.LOGGING."""
