"""Helpers of the CRM backfill tests: leads from before the connection, a connected company,
starting a backfill, one left waiting for a retry, the page's and the API's addresses."""

from __future__ import annotations

import pytest

from apps.integrations.crm import services
from apps.integrations.crm.models import CrmBackfill
from apps.integrations.tests.crm_helpers import amo_connect
from apps.leads.ingestion import ingest_leads
from apps.tenants.scoping import tenant_scope


def leads_before(tenant, *emails) -> list[int]:
    """Leads made before any CRM is connected: no link, no job."""
    items = [{"email": email, "name": email.split("@")[0]} for email in emails]
    with tenant_scope(tenant):
        result = ingest_leads(tenant=tenant, items=items, source="api")
    return [row.lead_id for row in result.results]


@pytest.fixture
def old_leads(on_business):
    return leads_before(on_business, "a@example.com", "b@example.com", "c@example.com")


@pytest.fixture
def connected(old_leads, on_business, amo):
    amo_connect(on_business, amo)
    return on_business


def start_backfill(tenant, capture, *, actor=None, since=None, execute=True) -> CrmBackfill:
    with capture(execute=execute), tenant_scope(tenant):
        return services.backfill_start(tenant=tenant, actor=actor, since=since)


def backfill_row(tenant, pk=None) -> CrmBackfill:
    """The backfill as stored."""
    with tenant_scope(tenant):
        rows = CrmBackfill.objects.for_tenant(tenant)
        return rows.get(pk=pk) if pk else rows.get()


def backfill_waiting_retry(tenant, capture, amo, **start) -> CrmBackfill:
    """A backfill whose first lead met a passing CRM error (503): the others are sent, that
    one waits for its retry (a minute away, then longer)."""
    amo.fail(times=1, status=503)
    backfill = start_backfill(tenant, capture, **start)
    return backfill_row(tenant, backfill.pk)


def crm_url(tenant, *rest) -> str:
    return "/".join([f"/t/{tenant.slug}/crm", *map(str, rest)]) + "/"


def backfill_api(tenant) -> str:
    return f"/api/v1/tenants/{tenant.pk}/crm/backfill/"
