"""Beat schedules are rows of django-celery-beat, written after migrate and by a command."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from apps.billing.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_migrate_registered_every_schedule():
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    for schedule in SCHEDULES:
        assert tasks[schedule.name] == schedule.task


def test_setup_schedules_is_idempotent_and_keeps_a_staff_disable(capsys):
    name = SCHEDULES[0].name
    PeriodicTask.objects.filter(name=name).update(enabled=False)
    call_command("setup_schedules")
    call_command("setup_schedules")
    assert PeriodicTask.objects.filter(name__in=[s.name for s in SCHEDULES]).count() == len(
        SCHEDULES
    )
    assert PeriodicTask.objects.get(name=name).enabled is False
    assert "schedule ready" in capsys.readouterr().out


def test_every_scheduled_task_is_registered_with_celery():
    from fastlead.celery import app

    app.loader.import_default_modules()
    for schedule in SCHEDULES:
        assert schedule.task in app.tasks
