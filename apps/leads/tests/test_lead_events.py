"""Typed lead events the apps above subscribe to (rules, analytics), and first contact time."""

from unittest import mock

import pytest
from django.core.cache import caches

from apps.analytics.tasks import refresh_day_task
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


def test_the_created_event_carries_the_creation_quarter_hours(tenant, received):
    items = [
        {"email": "a@example.com", "created_at": "2026-03-02T20:07:00Z"},
        {"email": "b@example.com", "created_at": "2026-03-02T20:14:59Z"},
        {"email": "c@example.com", "created_at": "2026-03-02T23:45:00+03:00"},
    ]
    ingest_leads(tenant=tenant, items=items, source=Source.API)
    (created,) = [e for e in received if isinstance(e, LeadsCreated)]
    assert created.created_at == ("2026-03-02T20:00:00+00:00", "2026-03-02T20:45:00+00:00")


def test_a_quiet_tenants_new_lead_costs_its_subscribers_no_query_and_one_flags_read(
    tenant, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given a tenant without webhooks, rules or operators, whose flags a first lead cached
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(tenant, {"email": "first@example.com"})
    cache = caches["default"]
    with django_capture_on_commit_callbacks() as callbacks:
        _ingest(tenant, {"email": "second@example.com"})
    # when the next lead's after-commit work runs
    with (
        mock.patch.object(refresh_day_task, "apply_async"),  # eager in tests: a recount
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        mock.patch.object(cache, "get", wraps=cache.get) as get,
        django_assert_num_queries(0),  # privacy's consents were written with the lead
    ):
        for callback in callbacks:
            callback()
    # then every subscriber's flag came from one read of the cache (the local memory cache
    # reads each key of a get_many through get, Redis does not; nothing else called get)
    assert get_many.call_count == 1
    assert get.call_count in {0, len(get_many.call_args.args[0])}
