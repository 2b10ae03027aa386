"""Celery entry points of upsell radar (queue `ai` for classification, `messaging` for the
outreach, see settings.CELERY_TASK_ROUTES). Enqueued after commit; idempotent bodies."""

from __future__ import annotations

from django.db import transaction

from apps.features.guards import task_requires_feature
from apps.tenants.tasking import tenant_task
from apps.upsell import outreach
from apps.upsell.models import Ticket, WorkStatus
from apps.upsell.services import intake  # imports this module back: a module import

TOOL = "upsell"


def _locked_ticket(tenant, ticket_id, *args, **kwargs) -> None:
    Ticket.objects.for_tenant(tenant).filter(pk=ticket_id).update(
        classification_status=WorkStatus.FAILED, classification_error="feature_locked"
    )


@tenant_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
@task_requires_feature(TOOL, on_locked=_locked_ticket)
def classify_ticket_task(tenant, ticket_id: int):
    row = intake.ticket_classify(tenant, ticket_id)
    return row.pk if row is not None else None


@tenant_task
@task_requires_feature(TOOL)
def outreach_task(tenant, case_id: int):
    case = outreach.outreach_run(tenant, case_id)
    return case.status if case is not None else None


def enqueue_classify(tenant_id, ticket_id: int) -> None:
    transaction.on_commit(lambda: classify_ticket_task.delay(str(tenant_id), ticket_id))


def enqueue_outreach(tenant_id, case_id: int) -> None:
    transaction.on_commit(lambda: outreach_task.delay(str(tenant_id), case_id))
