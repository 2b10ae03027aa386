"""Services and selectors in depth: edits, escalation, bulk, lists, pages, concurrency."""

import threading

import pytest
from django.db import connection
from django.http import Http404

from apps.core.errors import Conflict, ValidationFailed
from apps.leads import selectors, services
from apps.leads.filters import parse_lead_filters
from apps.leads.ingestion import ingest_leads, writer
from apps.leads.models import Lead, LeadList, TimelineEntry
from apps.leads.tests.conftest import make_leads
from apps.tenants.api_key_auth import APIKeyUser
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_lead_update_remembers_manual_fields_and_rekeys_identity(tenant, operator_user):
    (lead_id,) = make_leads(tenant, [{"email": "old@example.com"}])
    lead = services.lead_update(
        tenant=tenant,
        actor=operator_user,
        lead_id=lead_id,
        changes={"email": "New@Example.com", "company": "Acme"},
    )
    assert lead.email == "new@example.com" and lead.identity_key == "0:0:e:new@example.com"
    assert lead.manual_fields == ["company", "email"]
    # a new submission with the new e-mail merges into it, and keeps the hand-set company
    outcome = ingest_leads(
        tenant=tenant, items=[{"email": "new@example.com", "company": "Robot"}], source="api"
    )
    assert outcome.results[0].status == "merged" and outcome.results[0].lead_id == lead_id
    with tenant_scope(tenant):
        assert Lead.objects.get(pk=lead_id).company == "Acme"


def test_lead_update_rejects_removing_every_contact(tenant, operator_user):
    (lead_id,) = make_leads(tenant, [{"email": "only@example.com"}])
    with pytest.raises(ValidationFailed):
        services.lead_update(
            tenant=tenant, actor=operator_user, lead_id=lead_id, changes={"email": ""}
        )


def test_lead_update_with_nothing_changed_writes_no_timeline(tenant, operator_user):
    (lead_id,) = make_leads(tenant, [{"email": "same@example.com", "name": "Same"}])
    services.lead_update(
        tenant=tenant, actor=operator_user, lead_id=lead_id, changes={"name": "Same"}
    )
    with tenant_scope(tenant):
        assert TimelineEntry.objects.filter(lead_id=lead_id).count() == 1


def test_lead_escalate_assigns_sets_status_and_marks_the_timeline(
    tenant, operator_user, second_operator
):
    (lead_id,) = make_leads(tenant, [{"email": "esc@example.com"}])
    lead = services.lead_escalate(
        tenant=tenant, actor=operator_user, lead_id=lead_id, assignee_id=second_operator.pk
    )
    assert lead.assigned_to_id == second_operator.pk and lead.status == "contacted"
    with tenant_scope(tenant):
        kinds = list(
            TimelineEntry.objects.filter(lead_id=lead_id)
            .order_by("id")
            .values_list("kind", flat=True)
        )
    assert kinds == ["created", "status_changed", "assigned", "escalated"]


def test_services_refuse_foreign_leads(tenant, other_tenant, operator_user):
    (foreign,) = make_leads(other_tenant, [{"email": "f@example.com"}])
    with pytest.raises(Http404):
        services.lead_update(
            tenant=tenant, actor=operator_user, lead_id=foreign, changes={"status": "lost"}
        )
    with pytest.raises(Http404):
        services.lead_note_add(tenant=tenant, actor=operator_user, lead_id=foreign, body="x")
    with pytest.raises(Http404):
        services.lead_delete(tenant=tenant, actor=operator_user, lead_id=foreign)


def test_bulk_refuses_more_than_the_limit(tenant, operator_user, monkeypatch):
    make_leads(tenant, [{"lead_id": str(i)} for i in range(3)])
    monkeypatch.setattr(services, "MAX_BULK", 2)
    with pytest.raises(ValidationFailed) as error:
        services.leads_bulk(
            tenant=tenant, actor=operator_user, action="status", value="lost", filters={}
        )
    assert error.value.code == "too_many_leads"
    with tenant_scope(tenant):
        assert not Lead.objects.filter(status="lost").exists()


def test_bulk_with_an_api_key_records_no_actor(tenant, api_key):
    ids = make_leads(tenant, [{"lead_id": "a"}, {"lead_id": "b"}])
    result = services.leads_bulk(
        tenant=tenant, actor=APIKeyUser(api_key[0]), action="status", value="booked", ids=ids
    )
    assert result.changed == 2
    with tenant_scope(tenant):
        assert set(
            TimelineEntry.objects.filter(kind="status_changed").values_list("actor_id", flat=True)
        ) == {None}


def test_bulk_status_skips_leads_already_there(tenant, operator_user):
    ids = make_leads(tenant, [{"lead_id": "a"}, {"lead_id": "b"}])
    services.leads_bulk(
        tenant=tenant, actor=operator_user, action="status", value="lost", ids=ids[:1]
    )
    result = services.leads_bulk(
        tenant=tenant, actor=operator_user, action="status", value="lost", ids=ids
    )
    assert (result.matched, result.changed) == (2, 1)


def test_list_names_are_unique_case_insensitively(tenant, operator_user):
    services.leadlist_create(tenant=tenant, actor=operator_user, name="Hot")
    with pytest.raises(Conflict):
        services.leadlist_create(tenant=tenant, actor=operator_user, name=" hot ")
    with pytest.raises(ValidationFailed):
        services.leadlist_create(tenant=tenant, actor=operator_user, name="x", kind="weird")


def test_lead_page_is_one_query(tenant, django_assert_num_queries, operator_user):
    make_leads(tenant, [{"lead_id": str(i), "name": f"N{i}"} for i in range(30)])
    lead_list = LeadList.objects.create(tenant=tenant, name="L")
    with tenant_scope(tenant):
        Lead.objects.update(list=lead_list, assigned_to=operator_user)
    filters = parse_lead_filters({"q": "n", "ordering": "name"})
    with django_assert_num_queries(1):
        page = selectors.lead_page(tenant, filters, limit=10)
        names = [(lead.name, lead.list.name, lead.assigned_to.email) for lead in page.results]
    assert len(names) == 10 and page.next_cursor and page.previous_cursor is None


def test_lead_detail_is_three_queries_whatever_the_history(tenant, django_assert_num_queries):
    (lead_id,) = make_leads(
        tenant,
        [
            {
                "email": "h@example.com",
                "actions": [
                    {
                        "action_type": f"A{i}",
                        "timestamp": "2024-04-01T10:00:00Z",
                        "engagement_level": "Low",
                    }
                    for i in range(20)
                ],
            }
        ],
    )
    with django_assert_num_queries(3):
        lead = selectors.lead_detail(tenant, lead_id)
        assert len(lead.recent_actions) == 20 and len(lead.recent_timeline) == 1


def test_filters_parse_and_reject():
    filters = parse_lead_filters({"status": "new,lost", "list": "none", "assigned": "7"})
    assert filters["status"] == ["new", "lost"] and filters["list"] == "none"
    assert filters["assigned"] == 7 and filters["ordering"] == "-created_at"
    with pytest.raises(ValidationFailed) as error:
        parse_lead_filters({"assigned": "me"})  # no user
    assert "assigned" in error.value.fields


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_person_make_one_lead(tenant):
    """The per-tenant advisory lock serializes identity lookups and inserts."""
    barrier, outcomes, errors = threading.Barrier(4), [], []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            outcome = ingest_leads(
                tenant=tenant,
                items=[{"email": "race@example.com", "name": f"Racer {n}"}],
                source="widget",
            )
            outcomes.append(outcome.results[0].status)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == ["created", "merged", "merged", "merged"]
    assert Lead.objects.for_tenant(tenant).count() == 1


@pytest.mark.postgres
def test_a_single_submission_that_loses_the_race_merges(tenant, monkeypatch):
    """Two single submissions share the lock; the loser's insert conflicts and it merges."""

    (lead_id,) = make_leads(tenant, [{"email": "race@example.com"}])
    real_find, calls = writer.lock_and_find, []

    def blind_first_lookup(tenant, **kwargs):
        calls.append(kwargs["shared"])
        found = real_find(tenant, **kwargs)
        if len(calls) == 1:  # as if the other submission had not committed yet
            return found._replace(by_ref={}, by_identity={}, existing={})
        return found

    monkeypatch.setattr(writer, "lock_and_find", blind_first_lookup)
    outcome = ingest_leads(
        tenant=tenant,
        items=[
            {
                "email": "race@example.com",
                "actions": [
                    {
                        "action_type": "Form Submission",
                        "timestamp": "2024-04-01T10:00:00Z",
                        "engagement_level": "High",
                    }
                ],
            }
        ],
        source="widget",
    )
    assert calls == [True, True]
    result = outcome.results[0]
    assert (result.status, result.lead_id, result.actions_added) == ("merged", lead_id, 1)
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1
        assert list(
            TimelineEntry.objects.filter(lead_id=lead_id)
            .order_by("id")
            .values_list("kind", flat=True)
        ) == ["created", "merged"]
