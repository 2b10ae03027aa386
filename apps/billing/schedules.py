"""Beat schedules of plans, quotas, the trial lifecycle and tool overrides.

Written as django-celery-beat `PeriodicTask` rows (the beat runs the DatabaseScheduler) by
`manage.py setup_schedules`, which also runs after every `migrate`. Staff may disable a row
in the admin; running the command again keeps it disabled and only fixes task and interval.
"""

from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_minutes: int
    queue: str


SCHEDULES = (
    Schedule("billing: trial lifecycle", "apps.billing.tasks.advance_trials_task", 5, "billing"),
    Schedule("billing: usage periods", "apps.billing.tasks.roll_usage_periods_task", 15, "billing"),
    Schedule(
        "billing: renewals and dunning",
        "apps.billing.tasks.charge_due_subscriptions_task",
        24 * 60,
        "billing",
    ),
    Schedule(
        "billing: usage warnings", "apps.billing.tasks.sweep_usage_warnings_task", 30, "billing"
    ),
    Schedule(
        "leads: recover stale enrichment runs",
        "apps.leads.enrichment.tasks.recover_stale_enrichment_runs_task",
        10,
        "ai",
    ),
    Schedule("leads: purge old files", "apps.leads.tasks.purge_lead_files_task", 360, "default"),
    Schedule(
        "features: expire overrides",
        "apps.features.tasks.expire_tenant_features_task",
        5,
        "default",
    ),
)


@transaction.atomic
def setup_schedules(using: str = "default") -> list[str]:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    names = []
    for schedule in SCHEDULES:
        interval, _created = IntervalSchedule.objects.using(using).get_or_create(
            every=schedule.every_minutes, period=IntervalSchedule.MINUTES
        )
        PeriodicTask.objects.using(using).update_or_create(
            name=schedule.name,
            defaults={"task": schedule.task, "interval": interval, "queue": schedule.queue},
        )
        names.append(schedule.name)
    return names
