"""Our leads' events → sync jobs (subscribed in apps/integrations/wiring.py, run after the
emitter's commit). A company without a CRM connection costs a cached flag read, no query."""

from __future__ import annotations

from apps.integrations.crm import sync
from apps.integrations.crm.flags import HAS_CONNECTION
from apps.integrations.crm.queue import jobs_queue
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope


def _run(tenant_id: str, make) -> None:
    if not HAS_CONNECTION.get(tenant_id):
        return
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return
    with tenant_scope(tenant):
        jobs = make(tenant)
        if jobs:
            jobs_queue(tenant.pk, jobs)


def on_leads_created(event) -> None:
    _run(event.tenant_id, lambda t: sync.leads_created(t, event.lead_ids))


def on_lead_status_changed(event) -> None:
    lead_ids = [lead_id for lead_id, _previous in event.previous]
    _run(event.tenant_id, lambda t: sync.statuses_changed(t, lead_ids, event.status))
