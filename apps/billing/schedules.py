"""Beat schedules of plans, quotas and the trial lifecycle (registered in apps/billing/wiring.py,
installed by apps/core/schedules.py)."""

from apps.core.schedules import Schedule

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
)
