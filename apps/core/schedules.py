"""Celery beat schedules: each app declares its own, one place installs them.

An app lists its periodic tasks in `apps/<app>/schedules.py` (`SCHEDULES`) and registers them
from its wiring.py with `register_schedules(*SCHEDULES)`. They are written as
django-celery-beat `PeriodicTask` rows (the beat runs the DatabaseScheduler) by
`manage.py setup_schedules`, which also runs after every `migrate`. A row is found by its
`name`, so names never change. Staff may disable a row in the admin; installing again keeps it
disabled and only fixes task, interval and queue.
"""

from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_minutes: int
    queue: str


_schedules: dict[str, Schedule] = {}


def register_schedules(*schedules: Schedule) -> None:
    """Add an app's schedules (from its wiring.py). Registering the same schedule again
    is a no-op; another schedule under a taken name is a programming error."""
    for schedule in schedules:
        taken = _schedules.get(schedule.name)
        if taken is not None and taken != schedule:
            raise ValueError(f"Two beat schedules are named {schedule.name!r}")
        _schedules[schedule.name] = schedule


def registered_schedules() -> tuple[Schedule, ...]:
    return tuple(_schedules.values())


def schedules_install(using: str = "default") -> list[str]:
    """Create or update the `PeriodicTask` row of every registered schedule; returns the names."""
    # django-celery-beat's models: this module is imported while the app registry loads.
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    names = []
    with transaction.atomic(using=using):
        for schedule in registered_schedules():
            interval, _created = IntervalSchedule.objects.using(using).get_or_create(
                every=schedule.every_minutes, period=IntervalSchedule.MINUTES
            )
            PeriodicTask.objects.using(using).update_or_create(
                name=schedule.name,
                defaults={"task": schedule.task, "interval": interval, "queue": schedule.queue},
            )
            names.append(schedule.name)
    return names
