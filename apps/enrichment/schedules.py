"""Beat schedules of AI enrichment (registered in apps/enrichment/wiring.py, installed by
apps/core/schedules.py). The row and task names are the ones from before the app moved out
of leads, so saved beat rows keep working."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "leads: recover stale enrichment runs",
        "apps.leads.enrichment.tasks.recover_stale_enrichment_runs_task",
        10,
        "ai",
    ),
)
