"""Beat schedules of payments (registered in apps/payments/wiring.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "payments: fiscal receipts awaiting registration",
        "apps.payments.tasks.refresh_pending_receipts_task",
        10,
        "billing",
    ),
)
