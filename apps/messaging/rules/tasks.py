"""Celery entry points of the follow-up rules."""

from celery import shared_task

from apps.features.guards import task_requires_feature
from apps.messaging.rules import services
from apps.tenants.tasking import tenant_task

TOOL = "messaging_rules"


@tenant_task
@task_requires_feature(TOOL)
def record_domain_events_task(tenant, items: list[dict]) -> int:
    """Feed the platform's own events (lead created, meeting booked, payment failed, …) into
    the pipeline; event ids make a re-delivered task record nothing twice."""
    return services.internal_events_record(tenant=tenant, items=items)


@shared_task(acks_late=True)
def run_due_decisions_task() -> int:
    """Beat: delayed rules come due, deferred sends leave their quiet hours."""
    return services.decisions_run_due()
