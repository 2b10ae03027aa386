"""Beat schedules of the follow-up rules (registered in apps/messaging/rules/wiring.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "messaging: run due rule decisions",
        "apps.messaging.rules.tasks.run_due_decisions_task",
        1,
        "messaging",
    ),
)
