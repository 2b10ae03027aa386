"""Beat schedules of leads (registered in apps/leads/wiring.py, installed by
apps/core/schedules.py). Row names and task names never change: saved rows keep working."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule("leads: purge old files", "apps.leads.tasks.purge_lead_files_task", 360, "default"),
)
