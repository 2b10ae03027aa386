"""Queue sync jobs on Celery once the surrounding transaction commits."""

from __future__ import annotations

from django.db import transaction

from apps.integrations.crm.tasks import sync_crm_job_task


def jobs_queue(tenant_id, job_ids) -> None:
    tenant_id, ids = str(tenant_id), list(job_ids)
    transaction.on_commit(lambda: [sync_crm_job_task.delay(tenant_id, pk) for pk in ids])
