"""Celery application: named queues, JSON only, late acks, schedules in the database."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")

app = Celery("fastlead")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ai", "billing", "messaging")]
app.conf.task_routes = {
    "apps.ai.*": {"queue": "ai"},
    "apps.billing.*": {"queue": "billing"},
    "apps.messaging.*": {"queue": "messaging"},
}
app.autodiscover_tasks()
