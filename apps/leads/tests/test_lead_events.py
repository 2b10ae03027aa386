"""Typed lead events the apps above subscribe to (rules, analytics), and first contact time."""

import pytest

from apps.core import events
from apps.leads.events import LeadsCreated, LeadStatusChanged
from apps.leads.ingestion.service import ingest_leads
from apps.leads.models import Lead, LeadStatus, Source
from apps.leads.services import lead_update, leads_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(monkeypatch):
    seen = []
    for event_type in (LeadsCreated, LeadStatusChanged):
        monkeypatch.setitem(events._in_transaction, event_type, [seen.append])
    return seen


def _ingest(tenant, *people):
    return ingest_leads(tenant=tenant, items=list(people), source=Source.API)


def test_ingestion_announces_created_leads_not_merges(tenant, received):
    _ingest(tenant, {"email": "a@example.com"}, {"email": "b@example.com"})
    _ingest(tenant, {"email": "a@example.com"})  # a merge: nothing new
    created = [e for e in received if isinstance(e, LeadsCreated)]
    assert len(created) == 1
    ids = set(Lead.objects.for_tenant(tenant).values_list("pk", flat=True))
    assert set(created[0].lead_ids) == ids and created[0].source == Source.API


def test_marking_contacted_sets_first_contact_once_and_announces_the_change(
    tenant, admin_user, received
):
    _ingest(tenant, {"email": "a@example.com"})
    lead = Lead.objects.for_tenant(tenant).get()
    lead_update(tenant=tenant, actor=admin_user, lead_id=lead.pk, changes={"status": "contacted"})
    first = Lead.objects.for_tenant(tenant).get(pk=lead.pk).first_contact_at
    assert first is not None
    lead_update(tenant=tenant, actor=admin_user, lead_id=lead.pk, changes={"status": "new"})
    lead_update(tenant=tenant, actor=admin_user, lead_id=lead.pk, changes={"status": "contacted"})
    assert Lead.objects.for_tenant(tenant).get(pk=lead.pk).first_contact_at == first
    changes = [e for e in received if isinstance(e, LeadStatusChanged)]
    assert [(e.status, e.previous) for e in changes] == [
        ("contacted", ((lead.pk, "new"),)),
        ("new", ((lead.pk, "contacted"),)),
        ("contacted", ((lead.pk, "new"),)),
    ]


def test_bulk_status_announces_only_leads_that_changed(tenant, admin_user, received):
    _ingest(tenant, {"email": "a@example.com"}, {"email": "b@example.com"})
    a, b = Lead.objects.for_tenant(tenant).order_by("pk")
    Lead.objects.for_tenant(tenant).filter(pk=a.pk).update(status=LeadStatus.WON)
    leads_bulk(tenant=tenant, actor=admin_user, action="status", value="won", ids=[a.pk, b.pk])
    changes = [e for e in received if isinstance(e, LeadStatusChanged)]
    assert [(e.status, e.previous) for e in changes] == [("won", ((b.pk, "new"),))]
