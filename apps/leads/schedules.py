"""Beat schedules of leads (registered in LeadsConfig.ready(), installed by
apps/core/schedules.py). Row names and task names never change: saved rows keep working."""

from apps.core.schedules import Schedule

SCHEDULES = (
    # Enrichment's: moves with apps/leads/enrichment (the task keeps its name).
    Schedule(
        "leads: recover stale enrichment runs",
        "apps.leads.enrichment.tasks.recover_stale_enrichment_runs_task",
        10,
        "ai",
    ),
    Schedule("leads: purge old files", "apps.leads.tasks.purge_lead_files_task", 360, "default"),
)
