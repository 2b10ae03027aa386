"""Beat schedules of the follow-up rules (registered in RulesConfig.ready())."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "messaging: run due rule decisions",
        "apps.messaging.rules.tasks.run_due_decisions_task",
        1,
        "messaging",
    ),
)
