"""Celery entry points of pay-per-lead: closing a month and refreshing an open month's stored
reports run in the background, because a large tenant's valuation (every customer's lines
written) takes longer than a request. `period_close_later` (the dashboard's close) queues its task
here: services.py runs the tasks' work and cannot import them."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from apps.payperlead import services
from apps.tenants.tasking import tenant_task


# The name it had in apps/billing/payperlead/tasks.py: queued tasks keep working.
@tenant_task(
    name="apps.billing.payperlead.tasks.close_billing_period_task",
    queue="billing",
    acks_late=True,
    ignore_result=True,
)
def close_billing_period_task(tenant, period: str, actor_id: int | None = None) -> str:
    """Close `period` (YYYY-MM-DD, the month's first day). Idempotent: closing a closed month
    changes nothing, and the period row's lock keeps two workers from closing it twice."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    row = services.period_close(tenant=tenant, actor=actor, period=date.fromisoformat(period))
    return row.status


@tenant_task(queue="billing", acks_late=True, ignore_result=True)
def refresh_billing_period_task(tenant, period: str) -> bool:
    """Value an open month and store its reports (after actions arrived). Idempotent: a
    rerun stores the same reports; a closed month is left alone."""
    month = date.fromisoformat(period)
    services.period_refresh_claim(tenant=tenant, period=month)
    try:
        return services.period_refresh(tenant=tenant, period=month)
    except services.ReportError:
        return False  # recorded on the month (no card, two currencies): pages show it


def period_close_later(*, tenant, actor, period: date) -> date:
    """Queue the close of `period` after the caller's commit (the dashboard): the request
    returns at once, the worker writes the frozen reports."""
    period = services.period_close_check(period)
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: close_billing_period_task.delay(str(tenant.pk), period.isoformat(), actor_id)
    )
    return period
