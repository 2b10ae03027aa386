"""Beat schedules of the privacy app (registered in apps/privacy/wiring.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "privacy: delete data past each company's retention",
        "apps.privacy.tasks.apply_retention_task",
        60,
        "default",
    ),
    Schedule(
        "privacy: delete companies closed 30 days ago",
        "apps.privacy.tasks.delete_closed_companies_task",
        60,
        "default",
    ),
)
