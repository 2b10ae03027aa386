"""Celery entry points of billing's plan/usage half (queue `billing`). Every one is safe to
run twice and on two workers at once: each step claims its rows with a conditional update."""

from celery import shared_task

from apps.billing import services
from apps.billing.notice_tasks import send_billing_notice_task  # noqa: F401 - registered here too
from apps.billing.services.renewals import renewals_run
from apps.tenants.tasking import tenant_task


@shared_task(acks_late=True, ignore_result=True)
def advance_trials_task() -> dict:
    """Trial reminders (3 days, 1 day), trial end -> read-only, grace end -> blocked."""
    return services.billing_transitions_run()


@shared_task(acks_late=True, ignore_result=True)
def charge_due_subscriptions_task() -> dict:
    """Daily: period ends and renewal charges, dunning retries, grace ends, renewal
    reminders (services/renewals.py). Deterministic request ids make a re-run replay."""

    return renewals_run()


@shared_task(acks_late=True, ignore_result=True)
def roll_usage_periods_task() -> int:
    """Open every billed tenant's meter for the current period."""
    return services.usage_periods_roll()


@shared_task(acks_late=True, ignore_result=True)
def sweep_usage_warnings_task() -> int:
    """Send 80 % / 100 % warnings that the quota's own trigger did not get out."""
    tenant_ids = services.usage_warnings_due_tenants()
    for tenant_id in tenant_ids:
        send_usage_warnings_task.delay(str(tenant_id))
    return len(tenant_ids)


@tenant_task(ignore_result=True)
def send_usage_warnings_task(tenant) -> list[int]:
    return services.usage_warnings_send(tenant)
