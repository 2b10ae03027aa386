"""Queue sync jobs on Celery once the surrounding transaction commits."""

from __future__ import annotations

from django.db import transaction

from apps.integrations.crm.tasks import sync_crm_job_task

# Jobs queued at once; a bigger batch (an import) is left to the dispatch beat, which picks
# every due job each minute (the jobs are due now), as the webhooks' outbox does.
QUEUE_AT_ONCE = 200


def jobs_queue(tenant_id, job_ids) -> None:
    tenant_id, ids = str(tenant_id), list(job_ids)[:QUEUE_AT_ONCE]
    transaction.on_commit(lambda: [sync_crm_job_task.delay(tenant_id, pk) for pk in ids])
