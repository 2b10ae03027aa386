"""Enrichment runs end to end against the fake Messages API: what is written to leads, what is
skipped and why, what is charged and given back."""

from decimal import Decimal

import pytest
from django.db import connection

from apps.billing.services.credits import credit_add
from apps.core.errors import ValidationFailed
from apps.core.money import Money
from apps.enrichment.models import EnrichmentRun
from apps.enrichment.services.hashing import LEAD_FIELDS
from apps.enrichment.tests.fixtures import *  # noqa: F403
from apps.enrichment.tests.fixtures import (
    CREDIT,
    UNIT,
    answer,
    balance,
    charges,
    items,
    lead,
    run_of,
    start,
)
from apps.features.guards import FeatureLocked
from apps.features.services import tenant_feature_set
from apps.leads import services as lead_services
from apps.leads.models import Lead, LeadList, TimelineEntry, TimelineKind
from apps.leads.tests.conftest import make_leads
from apps.tenants.scoping import tenant_scope

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def test_happy_path_fills_known_fields_and_marks_the_rest_not_determined(
    paying, fake_ai, two_leads, admin_user, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, admin_user, lead_ids=two_leads)
    # then: the run is done, both leads enriched, paid once for two leads
    run = run_of(paying, run)
    assert run.status == "done" and not run.offline
    assert (run.leads_selected, run.leads_billable, run.leads_enriched) == (2, 2, 2)
    assert (run.leads_failed, run.leads_skipped) == (0, 0)
    assert (run.price_amount, run.price_currency) == (2 * UNIT, "RUB")
    assert run.started_at and run.finished_at
    assert len(fake_ai.requests) == 2
    # tokens and AI cost are totalled from the calls: 250 in / 120 out each, $3 / $15 per M
    assert (run.input_tokens, run.output_tokens) == (500, 240)
    assert run.token_cost == Decimal("0.005100")
    [charge] = charges(paying)
    assert charge.quantity == 2 and charge.amount == 2 * UNIT and charge.mode == "credit"
    assert run.usage_charge_id == charge.pk and run.billing_reference == charge.provider_ref
    assert run.billing_reference.startswith("credit:")
    assert balance(paying) == CREDIT - 2 * UNIT
    assert charge.refunded_quantity == 0  # settled: everything was delivered
    # the lead: determined fields written, unsure or unknown ones "not determined"
    anna = lead(paying, two_leads[0])
    assert anna.company == "ООО Ромашка" and anna.website == "https://romashka.ru"
    assert anna.industry == "Розничная торговля"
    assert anna.pain_point == "Теряют заявки из-за медленного ответа."
    assert anna.role == "" and anna.company_size == ""
    assert anna.not_determined == {"role": str(run.pk), "company_size": str(run.pk)}
    # the per-lead record
    item = items(paying, run)[0]
    assert item.status == "enriched" and item.failure_reason == ""
    assert item.fields == {
        "company": "ООО Ромашка",
        "website": "https://romashka.ru",
        "industry": "Розничная торговля",
        "role": None,
        "company_size": None,
        "pain_point": "Теряют заявки из-за медленного ответа.",
    }
    assert sorted(item.applied_fields) == ["company", "industry", "pain_point", "website"]
    assert item.model_version == "claude-sonnet-4-6"
    assert (item.input_tokens, item.output_tokens, item.cost) == (250, 120, Decimal("0.002550"))
    assert item.raw_response and item.attempts == 1 and item.finished_at
    # the prompt held the lead's own facts only
    assert "anna@romashka.ru" in fake_ai.requests[0].body["messages"][0]["content"]
    # the timeline says what changed, by whom
    with tenant_scope(paying):
        entry = TimelineEntry.objects.get(lead_id=anna.pk, kind=TimelineKind.ENRICHED)
    assert entry.actor_id == admin_user.pk
    assert entry.data["changes"]["company"] == {"from": "", "to": "ООО Ромашка"}
    assert entry.data["not_determined"] == ["role", "company_size"]


def test_fields_set_by_hand_or_known_are_never_overwritten(
    paying, fake_ai, admin_user, django_capture_on_commit_callbacks
):
    # given: the company came with the lead, the industry was typed by hand
    [lead_id] = make_leads(paying, [{"email": "anna@romashka.ru", "company": "Ромашка"}])
    lead_services.lead_update(
        tenant=paying, actor=admin_user, lead_id=lead_id, changes={"industry": "Цветы"}
    )
    fake_ai.default_output = answer(role=("Директор", 0.9), industry=("Ритейл", 0.99))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, admin_user, lead_ids=[lead_id])
    # then
    anna = lead(paying, lead_id)
    assert anna.company == "Ромашка" and anna.industry == "Цветы"
    assert anna.role == "Директор" and anna.website == "https://romashka.ru"
    item = items(paying, run)[0]
    assert item.fields["industry"] == "Ритейл"  # what the model said is kept on the record
    assert "industry" not in item.applied_fields and "company" not in item.applied_fields
    assert "industry" not in anna.not_determined


def test_rerun_with_unchanged_input_skips_and_charges_nothing(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(paying, lead_ids=two_leads)
    requests, spent = len(fake_ai.requests), balance(paying)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        again = start(paying, lead_ids=two_leads)
    # then
    again = run_of(paying, again)
    assert again.status == "done" and again.leads_billable == 0 and again.leads_skipped == 2
    assert again.price_amount == 0 and again.usage_charge_id is None
    assert {i.failure_reason for i in items(paying, again)} == {
        "Unchanged since the last enrichment."
    }
    assert len(fake_ai.requests) == requests and balance(paying) == spent
    assert len(charges(paying)) == 1


def test_force_re_enriches_unchanged_leads(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(paying, lead_ids=two_leads)
    fake_ai.default_output = answer(company=("ООО Ромашка Плюс", 0.9))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        forced = start(paying, lead_ids=two_leads, force=True)
    # then: AI values are refreshed, and it is paid again
    forced = run_of(paying, forced)
    assert forced.force and forced.leads_enriched == 2 and forced.leads_billable == 2
    assert lead(paying, two_leads[0]).company == "ООО Ромашка Плюс"
    assert len(fake_ai.requests) == 4 and len(charges(paying)) == 2
    assert balance(paying) == CREDIT - 4 * UNIT


def test_changed_input_re_enriches_only_the_changed_leads(
    paying, fake_ai, two_leads, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(paying, lead_ids=two_leads)
    lead_services.lead_update(
        tenant=paying, actor=admin_user, lead_id=two_leads[1], changes={"name": "Борис Котов"}
    )
    fake_ai.default_output = answer(role=("Менеджер", 0.9))  # something new this time
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads)
    # then
    run = run_of(paying, run)
    assert (run.leads_billable, run.leads_enriched, run.leads_skipped) == (1, 1, 1)
    by_lead = {i.lead_id: i for i in items(paying, run)}
    assert by_lead[two_leads[0]].status == "skipped"
    assert by_lead[two_leads[1]].status == "enriched"
    assert "Борис Котов" in fake_ai.requests[-1].body["messages"][0]["content"]
    assert balance(paying) == CREDIT - 3 * UNIT


def test_a_lead_with_nothing_to_fill_is_skipped_and_not_charged(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    with tenant_scope(paying):
        Lead.objects.filter(pk=two_leads[0]).update(
            manual_fields=["company", "website", "industry", "role", "company_size", "pain_point"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads)
    run = run_of(paying, run)
    assert (run.leads_billable, run.leads_enriched, run.leads_skipped) == (1, 1, 1)
    skipped = [i for i in items(paying, run) if i.status == "skipped"]
    assert skipped[0].lead_id == two_leads[0] and not skipped[0].billable
    assert skipped[0].failure_reason.startswith("Nothing to fill")
    assert charges(paying)[0].quantity == 1


def test_a_hand_edit_settles_not_determined(
    paying, fake_ai, two_leads, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(paying, lead_ids=two_leads[:1])
    assert "role" in lead(paying, two_leads[0]).not_determined
    lead_services.lead_update(
        tenant=paying, actor=admin_user, lead_id=two_leads[0], changes={"role": "CEO"}
    )
    assert "role" not in lead(paying, two_leads[0]).not_determined


def test_offline_mode_is_labelled_and_fills_only_what_the_email_domain_proves(
    paying, offline_ai, two_leads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads)
    run = run_of(paying, run)
    assert run.offline and run.status == "done"
    # anna: company and website are new; boris (free mail): nothing found, which is free
    assert (run.leads_enriched, run.leads_nothing_found) == (1, 1)
    # the offline heuristic takes no money at all: no authorization, no charge, no payment
    assert charges(paying) == [] and balance(paying) == CREDIT
    assert (run.price_amount, run.usage_charge_id, run.billing_reference) == (0, None, "")
    anna, boris = lead(paying, two_leads[0]), lead(paying, two_leads[1])
    assert anna.company == "romashka.ru" and anna.website == "https://romashka.ru"
    assert anna.industry == "" and set(anna.not_determined) == {
        "industry",
        "role",
        "company_size",
        "pain_point",
    }
    assert boris.company == "" and boris.website == ""  # free mail proves nothing
    assert set(boris.not_determined) == set(LEAD_FIELDS)
    item = items(paying, run)[0]
    assert item.model_version == "offline-heuristic-v1" and item.cost == 0
    with tenant_scope(paying):
        entry = TimelineEntry.objects.get(lead_id=anna.pk, kind=TimelineKind.ENRICHED)
    assert entry.data["offline"] is True


def test_zero_billable_run_finishes_at_once_without_a_charge(
    enrichment_on, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    # the tenant has no credit and no card: fine, nothing is to be paid
    with tenant_scope(enrichment_on):
        Lead.objects.filter(pk__in=two_leads).update(
            manual_fields=["company", "website", "industry", "role", "company_size", "pain_point"]
        )
    run = start(enrichment_on, lead_ids=two_leads)
    assert run.status == "done" and run.leads_billable == 0 and run.finished_at
    assert charges(enrichment_on) == [] and fake_ai.requests == []


def test_list_and_filter_scopes(paying, fake_ai, admin_user, django_capture_on_commit_callbacks):
    with tenant_scope(paying):
        hot = LeadList.objects.create(tenant=paying, name="Hot")
    ids = make_leads(
        paying,
        [
            {"email": "a@alpha.ru", "list_id": hot.pk},
            {"email": "b@beta.ru", "list_id": hot.pk},
            {"email": "c@gamma.ru", "lead_type": "Webinar"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        by_list = start(paying, admin_user, list_id=hot.pk)
        by_filter = start(paying, admin_user, filters={"lead_type": "Webinar"})
    assert run_of(paying, by_list).leads_selected == 2
    assert by_list.scope == {"list_id": hot.pk}
    assert {i.lead_id for i in items(paying, by_filter)} == {ids[2]}
    assert by_filter.scope == {"filter": {"lead_type": "Webinar"}}


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({}, "invalid_scope"),
        ({"lead_ids": [1], "list_id": 1}, "invalid_scope"),
        ({"lead_ids": []}, "invalid_scope"),
        ({"lead_ids": ["x"]}, "invalid_scope"),
        ({"lead_ids": list(range(1, 10_002))}, "too_many_leads"),
        ({"lead_ids": [999_999]}, "unknown_leads"),
        ({"list_id": 999_999}, "invalid_scope"),
        ({"filters": {"status": "nope"}}, "invalid"),
    ],
)
def test_bad_scopes_are_refused_before_anything_is_written(paying, two_leads, kwargs, code):
    with pytest.raises(ValidationFailed) as caught:
        start(paying, **kwargs)
    assert caught.value.code == code
    assert not EnrichmentRun.objects.for_tenant(paying).exists()


def test_the_tool_is_required(tenant, fake_ai, two_leads):
    tenant_feature_set(tenant=tenant, feature="enrichment", mode="revoke", reason="tests")
    with pytest.raises(FeatureLocked):
        start(tenant, lead_ids=two_leads)


def test_ten_thousand_leads_are_written_in_bulk(paying, offline_ai, django_assert_max_num_queries):
    credit_add(
        tenant=paying, money=Money(10_000 * UNIT, "RUB"), reason="tests", idempotency_key="big"
    )

    with tenant_scope(paying):
        Lead.objects.bulk_create(
            [
                Lead(
                    tenant=paying,
                    person_key=f"e:{n}@gmail.com",
                    identity_key=f"e:{n}@gmail.com",
                    email=f"{n}@gmail.com",
                    source="api",
                )
                for n in range(10_000)
            ]
        )
        ids = list(Lead.objects.values_list("pk", flat=True))
    # PostgreSQL: one INSERT for the 10,000 rows; SQLite splits it by its parameter limit.
    budget = 80 if connection.vendor == "postgresql" else 400
    with django_assert_max_num_queries(budget):  # never one query per lead
        run = start(paying, lead_ids=ids)
    assert run.leads_billable == 10_000 and run.status == "running"
    assert run.price_amount == 0 and charges(paying) == []  # offline: never charged


def test_a_lead_changed_while_queued_keeps_the_hash_of_what_was_sent(
    paying, fake_ai, two_leads, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = start(paying, lead_ids=two_leads[:1])
        # the lead changes after the run started, before its task runs
        lead_services.lead_update(
            tenant=paying, actor=admin_user, lead_id=two_leads[0], changes={"name": "Анна К."}
        )
    assert callbacks
    assert "Анна К." in fake_ai.requests[0].body["messages"][0]["content"]
    # so the next run sees nothing new
    with django_capture_on_commit_callbacks(execute=True):
        again = start(paying, lead_ids=two_leads[:1])
    assert run_of(paying, again).leads_billable == 0
    assert items(paying, run)[0].input_hash == items(paying, again)[0].input_hash
