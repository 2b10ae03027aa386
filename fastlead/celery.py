"""Celery application: named queues (routes in settings.CELERY_TASK_ROUTES), JSON only, late
acks, schedules in the database (apps/core/schedules.py)."""

import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")

app = Celery("fastlead")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ai", "billing", "messaging")]
app.autodiscover_tasks()
# Bind task_id (and the enqueuing request's request_id) to every log line a task writes.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Celery must not replace the JSON logging that Django set up from settings.LOGGING."""
