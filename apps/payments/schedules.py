"""Beat schedules of payments (registered in apps/payments/wiring.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "payments: fiscal receipts awaiting registration",
        "apps.payments.tasks.refresh_pending_receipts_task",
        10,
        "billing",
    ),
    Schedule(
        "payments: deleted companies' invoices past their retention",
        "apps.payments.tasks.purge_retained_records_task",
        24 * 60,
        "billing",
    ),
)
