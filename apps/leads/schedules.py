"""Beat schedules of leads (registered in apps/leads/wiring.py, installed by
apps/core/schedules.py). Row names and task names never change: saved rows keep working."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule("leads: purge old files", "apps.leads.tasks.purge_lead_files_task", 360, "default"),
    # A drain whose wake was lost (broker down at the push) still runs within a minute.
    Schedule(
        "leads: store queued widget submissions",
        "apps.leads.tasks.widget_intake_drain_task",
        1,
        "default",
    ),
)
