"""CRM sync against the local fake amoCRM and Bitrix24: OAuth connect and refresh, lead →
contact + deal once under retries, statuses out and in, last change wins, bad credentials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone, translation

from apps.core.crypto import decrypt_json
from apps.core.errors import ApplicationError, ValidationFailed
from apps.integrations.crm import inbound, services, sync
from apps.integrations.crm.models import (
    ConnectionState,
    CrmConnection,
    CrmLeadLink,
    CrmSyncJob,
    JobStatus,
)
from apps.integrations.tests.crm_helpers import amo_connect, jobs, run_due
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead, TimelineEntry, TimelineKind
from apps.leads.services import lead_update
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english_ui):
    """The assertions read the English source strings."""


def _new_lead(tenant, capture, **fields) -> int:
    item = {"email": "anna@example.com", "name": "Анна", "phone": "+79161234567", **fields}
    with capture(execute=True), tenant_scope(tenant):
        return ingest_leads(tenant=tenant, items=[item], source="api").results[0].lead_id


def _status(tenant, lead_id, status, capture):
    with capture(execute=True), tenant_scope(tenant):
        lead_update(tenant=tenant, actor=None, lead_id=lead_id, changes={"status": status})


def _connection(tenant) -> CrmConnection:
    with tenant_scope(tenant):
        return CrmConnection.objects.for_tenant(tenant).get()


def _link(tenant, lead_id) -> CrmLeadLink:
    with tenant_scope(tenant):
        return CrmLeadLink.objects.for_tenant(tenant).get(lead_id=lead_id)


def _lead(tenant, lead_id) -> Lead:
    with tenant_scope(tenant):
        return Lead.objects.for_tenant(tenant).get(pk=lead_id)


# --- connect ------------------------------------------------------------------------------


def test_amocrm_oauth_connect_stores_the_tokens_encrypted_and_picks_the_main_pipeline(
    on_business, amo
):
    connection = amo_connect(on_business, amo)

    assert connection.state == ConnectionState.CONNECTED
    assert (connection.pipeline_id, connection.pipeline_name) == ("100", "Воронка")
    assert connection.status_map == {
        "new": "1001",
        "contacted": "1002",
        "booked": "1003",
        "won": "142",
        "lost": "143",
    }
    stored = CrmConnection.objects.unscoped().get(pk=connection.pk)
    tokens = decrypt_json(stored.credentials_encrypted)
    assert tokens["access_token"] in amo.access and tokens["refresh_token"] in amo.refresh
    assert tokens["access_token"] not in stored.credentials_encrypted  # encrypted at rest
    assert stored.oauth_state == ""  # the authorization link works once


def test_the_authorization_redirect_names_the_client_and_state(on_business, amo):
    with tenant_scope(on_business):
        url = services.amocrm_connect_start(
            tenant=on_business, actor=None, subdomain="acme", client_id="cid", client_secret="cs"
        )
    assert url.startswith("https://www.amocrm.ru/oauth?client_id=cid&state=")


def test_a_used_or_unknown_state_is_refused(on_business, amo):
    with pytest.raises(ApplicationError) as error:
        services.amocrm_connect_finish(state="nope", code=amo.authorize())
    assert error.value.code == "oauth_state_unknown"


def test_an_expired_access_token_is_refreshed_and_the_new_pair_stored(amo_tenant, amo):
    before = _connection(amo_tenant).credentials
    amo.expire_access_tokens()  # amoCRM answers 401 to the old token

    with tenant_scope(amo_tenant):
        pipelines = services.pipelines_list(_connection(amo_tenant))

    assert [p.id for p in pipelines] == ["100", "200"]
    after = _connection(amo_tenant).credentials
    assert after["access_token"] != before["access_token"]
    assert after["access_token"] in amo.access
    assert len(amo.calls("/oauth2/access_token")) == 2  # the code, then one refresh


def test_a_refused_refresh_flags_the_connection_and_fails_the_job_with_a_clear_error(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    amo.expire_access_tokens()
    amo.refresh.clear()  # the integration was removed in amoCRM

    _new_lead(amo_tenant, django_capture_on_commit_callbacks)

    [job] = jobs(amo_tenant)
    assert job.status == JobStatus.FAILED
    assert "amoCRM refused our credentials" in job.error_text
    connection = _connection(amo_tenant)
    assert connection.state == ConnectionState.ERROR
    assert "reconnect" in connection.last_error
    assert amo.leads == {}


def test_wrong_bitrix24_webhook_token_is_a_field_error_and_nothing_is_kept(on_business, bitrix):
    wrong = bitrix.webhook_url.replace(bitrix.token, "wrongtoken")
    with tenant_scope(on_business), pytest.raises(ValidationFailed) as error:
        services.bitrix24_connect(tenant=on_business, actor=None, webhook_url=wrong)
    assert "Bitrix24 refused our credentials" in error.value.fields["webhook_url"][0]
    assert not CrmConnection.objects.unscoped().filter(tenant=on_business).exists()


def test_a_private_crm_address_is_refused_without_the_development_switch(on_business, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with tenant_scope(on_business), pytest.raises(ValidationFailed) as error:
        services.bitrix24_connect(
            tenant=on_business, actor=None, webhook_url="https://10.0.0.5/rest/1/abc/"
        )
    assert "webhook_url" in error.value.fields


# --- lead → deal --------------------------------------------------------------------------


def test_a_new_lead_becomes_a_contact_and_a_deal_in_the_chosen_pipeline(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)

    [deal] = amo.leads.values()
    assert (deal["pipeline_id"], deal["status_id"]) == (100, 1001)
    assert deal["name"] == f"Анна · FL-{lead_id}"
    assert deal["tags"] == [{"name": "API"}]
    contact = amo.contacts[deal["_embedded"]["contacts"][0]["id"]]
    assert contact["name"] == "Анна"
    codes = {f["field_code"]: f["values"][0]["value"] for f in contact["custom_fields_values"]}
    assert codes == {"PHONE": "+79161234567", "EMAIL": "anna@example.com"}
    link = _link(amo_tenant, lead_id)
    assert (link.deal_id, link.remote_stage) == (str(deal["id"]), "1001")
    assert [j.status for j in jobs(amo_tenant)] == [JobStatus.DONE]


def test_a_failing_crm_is_retried_with_backoff_and_the_deal_is_created_once(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    amo.fail(times=1, status=503)  # the search answers 503
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    [job] = jobs(amo_tenant)
    assert job.status == JobStatus.PENDING and job.attempts == 1 and job.next_attempt_at
    assert "did not answer" in job.error_text

    amo.lose_answers(1)  # the deal is made, its answer is lost: 500
    run_due(amo_tenant)
    assert len(amo.leads) == 1 and jobs(amo_tenant)[0].status == JobStatus.PENDING

    run_due(amo_tenant)  # and once more: the deal is found by our reference, not remade
    run_due(amo_tenant)

    assert len(amo.leads) == 1
    [job] = jobs(amo_tenant)
    assert job.status == JobStatus.DONE and job.attempts == 3
    assert _link(amo_tenant, lead_id).deal_id == str(next(iter(amo.leads)))


def test_a_retried_job_after_success_does_nothing(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    [job] = jobs(amo_tenant)
    with tenant_scope(amo_tenant):
        services.job_retry(job)  # pressed "retry" on a done job: claimed, nothing new made
    run_due(amo_tenant)
    assert len(amo.leads) == 1


def test_our_status_change_moves_the_deal(amo_tenant, amo, django_capture_on_commit_callbacks):
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)

    _status(amo_tenant, lead_id, "won", django_capture_on_commit_callbacks)

    [deal] = amo.leads.values()
    assert deal["status_id"] == 142
    assert _link(amo_tenant, lead_id).remote_stage == "142"


def test_an_unmapped_status_moves_nothing(amo_tenant, amo, django_capture_on_commit_callbacks):
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    with tenant_scope(amo_tenant):
        services.status_map_set(
            _connection(amo_tenant),
            actor=None,
            status_map={"new": "1001", "won": "142", "lost": "143"},
        )
    _status(amo_tenant, lead_id, "contacted", django_capture_on_commit_callbacks)
    assert next(iter(amo.leads.values()))["status_id"] == 1001
    assert jobs(amo_tenant)[-1].status == JobStatus.SKIPPED


# --- deal → lead --------------------------------------------------------------------------


def test_an_amocrm_stage_change_sets_our_status_and_the_timeline_says_so(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    deal_id = next(iter(amo.leads))
    connection = _connection(amo_tenant)

    with django_capture_on_commit_callbacks(execute=True):
        inbound.amocrm_webhook(connection.inbound_token, amo.move(deal_id, 1003))

    assert _lead(amo_tenant, lead_id).status == "booked"
    with tenant_scope(amo_tenant):
        entry = TimelineEntry.objects.for_tenant(amo_tenant).get(
            lead_id=lead_id, kind=TimelineKind.STATUS
        )
    assert entry.data == {"from": "new", "to": "booked", "via": "amoCRM"}
    # The status it set does not bounce back as a move of the deal.
    assert len(amo.calls("/api/v4/leads/" + str(deal_id))) == 1  # the one read
    assert all(r[0] != "PATCH" for r in amo.requests)


def test_last_change_wins_an_older_crm_change_is_undone(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    deal_id = next(iter(amo.leads))
    stale_time = amo.clock  # a salesperson's move stamped before our change (a slow webhook)
    _status(amo_tenant, lead_id, "contacted", django_capture_on_commit_callbacks)
    assert amo.leads[deal_id]["status_id"] == 1002

    event = amo.move(deal_id, 143, at=stale_time - 5)
    with django_capture_on_commit_callbacks(execute=True):
        inbound.amocrm_webhook(_connection(amo_tenant).inbound_token, event)

    assert _lead(amo_tenant, lead_id).status == "contacted"  # ours was later
    assert amo.leads[deal_id]["status_id"] == 1002  # and the deal went back
    assert "Our status is newer" in jobs(amo_tenant)[-2].result_text


def test_last_change_wins_a_newer_crm_change_is_applied(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    lead_id = _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    deal_id = next(iter(amo.leads))
    _status(amo_tenant, lead_id, "contacted", django_capture_on_commit_callbacks)

    event = amo.move(deal_id, 142, at=amo.clock + 3600)
    with django_capture_on_commit_callbacks(execute=True):
        inbound.amocrm_webhook(_connection(amo_tenant).inbound_token, event)

    assert _lead(amo_tenant, lead_id).status == "won"
    assert amo.leads[deal_id]["status_id"] == 142


def test_an_amocrm_webhook_for_another_account_or_token_is_refused(amo_tenant, amo):
    event = {"leads[status][0][id]": "1", "account[subdomain]": "someone-else"}
    with pytest.raises(ApplicationError):
        inbound.amocrm_webhook(_connection(amo_tenant).inbound_token, event)
    with pytest.raises(Http404):
        inbound.amocrm_webhook("unknown-token", {"leads[status][0][id]": "1"})


# --- Bitrix24 -----------------------------------------------------------------------------


def test_bitrix24_lead_to_contact_and_deal_and_stage_both_ways(
    bitrix_tenant, bitrix, django_capture_on_commit_callbacks
):
    lead_id = _new_lead(bitrix_tenant, django_capture_on_commit_callbacks)

    [contact] = bitrix.contacts.values()
    assert contact["NAME"] == "Анна"
    assert contact["PHONE"] == [{"VALUE": "+79161234567", "VALUE_TYPE": "WORK"}]
    [(deal_id, deal)] = bitrix.deals.items()
    assert (deal["CATEGORY_ID"], deal["STAGE_ID"], deal["ORIGIN_ID"]) == (0, "NEW", f"FL-{lead_id}")

    _status(bitrix_tenant, lead_id, "contacted", django_capture_on_commit_callbacks)
    assert bitrix.deals[deal_id]["STAGE_ID"] == "PREPARATION"

    event = bitrix.move(deal_id, "WON", at=bitrix.clock + 3600)
    with django_capture_on_commit_callbacks(execute=True):
        inbound.bitrix24_webhook(_connection(bitrix_tenant).inbound_token, event)
    assert _lead(bitrix_tenant, lead_id).status == "won"


def test_bitrix24_event_with_a_wrong_application_token_is_refused(
    bitrix_tenant, bitrix, django_capture_on_commit_callbacks
):
    _new_lead(bitrix_tenant, django_capture_on_commit_callbacks)
    deal_id = next(iter(bitrix.deals))
    event = {**bitrix.move(deal_id, "WON"), "auth[application_token]": "forged"}
    with pytest.raises(ApplicationError) as error:
        inbound.bitrix24_webhook(_connection(bitrix_tenant).inbound_token, event)
    assert error.value.status_code == 403


def test_bitrix24_contact_made_before_a_failure_is_not_made_again(
    bitrix_tenant, bitrix, django_capture_on_commit_callbacks
):
    bitrix.fail(times=0)
    # crm.deal.list (search) ok, crm.contact.add ok, crm.deal.add fails
    original = bitrix.m_crm_deal_add
    calls = {"n": 0}

    def flaky(params):
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"}
        return original(params)

    bitrix.m_crm_deal_add = flaky
    _new_lead(bitrix_tenant, django_capture_on_commit_callbacks)
    run_due(bitrix_tenant)

    assert len(bitrix.contacts) == 1 and len(bitrix.deals) == 1
    [job] = jobs(bitrix_tenant)
    assert job.status == JobStatus.DONE and job.attempts == 2


def test_a_pair_another_worker_refreshed_is_used_not_refreshed_again(amo_tenant, amo):
    stale = _connection(amo_tenant)  # this worker's copy, before the other one refreshed
    amo.expire_access_tokens()
    with tenant_scope(amo_tenant):
        services.pipelines_list(_connection(amo_tenant))  # the other worker refreshes
        assert len(amo.calls("/oauth2/access_token")) == 2

        # this worker meets a 401 with its old token: it takes the stored pair
        assert [p.id for p in services.pipelines_list(stale)] == ["100", "200"]

    assert len(amo.calls("/oauth2/access_token")) == 2
    assert _connection(amo_tenant).state == ConnectionState.CONNECTED


def test_a_push_waits_while_another_push_of_the_same_lead_holds_it(amo_tenant, amo):
    with tenant_scope(amo_tenant):
        lead_id = (
            ingest_leads(tenant=amo_tenant, items=[{"email": "d@example.com"}], source="api")
            .results[0]
            .lead_id
        )  # (its own job is not run: no commit in this test)
        [job_id] = sync.leads_created(amo_tenant, [lead_id])
        CrmLeadLink.objects.for_tenant(amo_tenant).filter(lead_id=lead_id).update(
            leased_until=timezone.now() + timedelta(seconds=60)
        )

        outcome, _following = sync.job_run(amo_tenant, job_id)

        assert outcome == "retrying" and amo.leads == {}
        job = CrmSyncJob.objects.for_tenant(amo_tenant).get(pk=job_id)
        assert job.status == JobStatus.PENDING and job.next_attempt_at > timezone.now()

        CrmLeadLink.objects.for_tenant(amo_tenant).update(leased_until=None)  # the other ended
        CrmSyncJob.objects.for_tenant(amo_tenant).update(next_attempt_at=timezone.now())
        assert sync.job_run(amo_tenant, job_id)[0] == "done"
        assert sync.job_run(amo_tenant, job_id)[0] == "finished"  # delivered twice: once
    assert len(amo.leads) == 1


def test_the_lookup_by_reference_does_not_take_a_deal_whose_reference_only_starts_alike(
    amo_tenant, amo
):
    amo.leads[9001] = {
        "id": 9001,
        "name": "Борис · FL-123",
        "pipeline_id": 100,
        "status_id": 1001,
        "updated_at": amo.clock,
    }
    with tenant_scope(amo_tenant):
        api = services.client(_connection(amo_tenant))
        assert api.find_deal("FL-12") is None
        assert api.find_deal("FL-123").deal_id == "9001"


def test_a_big_batch_queues_the_first_jobs_and_leaves_the_rest_to_the_beat(
    amo_tenant, amo, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("apps.integrations.crm.queue.QUEUE_AT_ONCE", 2)
    items = [{"email": f"p{i}@example.com"} for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(amo_tenant):
        ingest_leads(tenant=amo_tenant, items=items, source="import")
    assert len(amo.leads) == 2
    assert [j.status for j in jobs(amo_tenant)].count(JobStatus.PENDING) == 1

    run_due(amo_tenant)

    assert len(amo.leads) == 3
    assert {j.status for j in jobs(amo_tenant)} == {JobStatus.DONE}


def test_the_sync_log_reads_in_the_readers_language(
    amo_tenant, amo, django_capture_on_commit_callbacks
):
    with translation.override("ru"):
        _new_lead(amo_tenant, django_capture_on_commit_callbacks)
    [job] = jobs(amo_tenant)
    deal_id = next(iter(amo.leads))
    with translation.override("en"):
        assert job.result_text == f"Deal {deal_id} created."
    with translation.override("ru"):
        assert job.result_text == f"Сделка {deal_id} создана."
