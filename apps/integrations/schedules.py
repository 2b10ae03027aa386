"""Beat schedules of the webhooks (registered in apps/integrations/wiring.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "webhooks: send due deliveries and retries",
        "apps.integrations.tasks.dispatch_webhook_deliveries_task",
        1,
        "messaging",
    ),
    Schedule(
        "webhooks: abandoned sends go again",
        "apps.integrations.tasks.recover_webhook_deliveries_task",
        5,
        "messaging",
    ),
    Schedule(
        "crm sync: run due jobs and retries",
        "apps.integrations.crm.tasks.dispatch_crm_jobs_task",
        1,
        "messaging",
    ),
    Schedule(
        "crm sync: abandoned jobs go again",
        "apps.integrations.crm.tasks.recover_crm_jobs_task",
        5,
        "messaging",
    ),
)
