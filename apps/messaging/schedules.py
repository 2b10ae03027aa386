"""Beat schedules of messaging (registered in apps/messaging/wiring.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "messaging: abandoned sends become unknown",
        "apps.messaging.tasks.recover_abandoned_sends_task",
        5,
        "messaging",
    ),
)
