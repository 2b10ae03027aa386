"""Keeping open months' stored reports current as actions arrive.

Ingestion emits `CustomerActionsRecorded` with the months its actions fall in; after the
commit, each month (or, for a closed month, the open month that bills its late actions) is
marked changed and one refresh is queued for it unless one is already waiting (`queued`), so
a burst of batches costs one valuation. The task clears `queued` before valuing: actions that
arrive during a refresh queue the next one. Pages show the stored valuation "as of" the moment
its reading began, with a note while a newer one is on its way.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.leads.events import CustomerActionsRecorded
from apps.payperlead import selectors
from apps.payperlead.models import PeriodValuation, month_start
from apps.payperlead.tasks import refresh_billing_period_task
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope

DEFAULT_DELAY_SECONDS = 10


def period_mark_changed(*, tenant, months: list[date]) -> list[date]:
    """Mark the months that bill these actions changed; queue a refresh for each one that
    has none waiting. Returns the months queued now."""
    closed = selectors.closed_months(tenant)
    targets = {m if m not in closed else selectors.adjustment_target(m, closed) for m in months}
    now = timezone.now()
    queued = []
    for month in sorted(targets):
        PeriodValuation.objects.bulk_create(
            [PeriodValuation(tenant=tenant, month=month)], ignore_conflicts=True
        )
        rows = PeriodValuation.objects.for_tenant(tenant).filter(month=month)
        rows.update(changed_at=now)
        if rows.filter(queued=False).update(queued=True):
            queued.append(month)
    for month in queued:
        _queue(tenant, month)
    return queued


def period_mark_cards_changed(*, tenant, valid_from) -> list[date]:
    """A card version starting at `valid_from` reprices the open months from then on."""
    first = month_start(valid_from)
    months = [m for m in selectors.activity_months(tenant) if m >= first]
    return period_mark_changed(tenant=tenant, months=months) if months else []


def _queue(tenant, month: date) -> None:
    delay = getattr(settings, "PAYPERLEAD_REFRESH_DELAY", DEFAULT_DELAY_SECONDS)
    args = (str(tenant.pk), month.isoformat())
    transaction.on_commit(lambda: refresh_billing_period_task.apply_async(args, countdown=delay))


def on_customer_actions_recorded(event: CustomerActionsRecorded) -> None:
    tenant = Tenant.objects.filter(pk=event.tenant_id).first()
    if tenant is None:
        return
    months = [date.fromisoformat(m) for m in event.months]
    with tenant_scope(tenant):
        period_mark_changed(tenant=tenant, months=months)
