"""Sending the leads that existed before the CRM was connected ("backfill"), against the local
fake amoCRM and Bitrix24: each lead once, a second backfill refused while one runs (but not
while one only waits for retries), progress N of M on the page and in the API, admins only,
another company's leads never sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.core.errors import Conflict
from apps.integrations.crm import services, sync
from apps.integrations.crm.backfill import backfill_prepare, backfill_progress
from apps.integrations.crm.models import (
    BackfillState,
    CrmBackfill,
    CrmConnection,
    CrmLeadLink,
    JobStatus,
)
from apps.integrations.crm.tasks import recover_crm_jobs_task, sync_crm_job_task
from apps.integrations.tests.backfill_helpers import (
    backfill_api,
    backfill_row,
    backfill_waiting_retry,
    crm_url,
    leads_before,
    start_backfill,
)
from apps.integrations.tests.crm_helpers import amo_connect, jobs, run_due
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.tenants.models import AuditLogEntry
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english(english_ui):
    """The assertions read the English source strings."""


def _markers(fake) -> set[str]:
    return {deal["name"].rsplit(" · ", 1)[1] for deal in fake.leads.values()}


# --- the service, end to end over HTTP ----------------------------------------------------


def test_existing_leads_become_deals_once_and_the_start_is_audited(
    connected, old_leads, amo, admin_user, django_capture_on_commit_callbacks
):
    # given: three leads from before the connection, none of them in amoCRM
    assert amo.leads == {}

    # when
    start_backfill(connected, django_capture_on_commit_callbacks, actor=admin_user)

    # then: one deal each, named with our reference, and the links hold the deal ids
    assert _markers(amo) == {f"FL-{pk}" for pk in old_leads}
    assert len(amo.calls("/api/v4/leads/complex")) == 3
    with tenant_scope(connected):
        links = CrmLeadLink.objects.for_tenant(connected).filter(lead_id__in=old_leads)
        assert all(link.deal_id for link in links) and links.count() == 3
    backfill = backfill_row(connected)
    assert backfill.state == BackfillState.DONE and backfill.finished_at is not None
    assert (backfill.total, backfill.result) == (3, {"pushed": 3, "skipped": 0, "failed": 0})
    assert backfill.started_by == admin_user
    events = AuditLogEntry.objects.for_tenant(connected).filter(target_type="crm_connection")
    started = events.get(after__event="backfill_started")
    assert started.actor == admin_user and started.after["backfill"] == backfill.pk
    assert events.get(after__event="backfill_finished").after["pushed"] == 3


def test_a_lead_already_in_the_crm_is_not_sent_again_and_pressing_again_sends_nothing(
    connected, old_leads, amo, django_capture_on_commit_callbacks
):
    # given: a new lead, sent by its own event when it arrived
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(connected):
        ingest_leads(tenant=connected, items=[{"email": "new@example.com"}], source="api")
    assert len(amo.leads) == 1

    # when: the backfill, then the button once more
    start_backfill(connected, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as again:
        start_backfill(connected, django_capture_on_commit_callbacks)

    # then: the three old leads only, each once; the second press is refused, nothing sent
    assert len(amo.leads) == 4 and len(amo.calls("/api/v4/leads/complex")) == 4
    assert backfill_row(connected).total == 3
    assert again.value.code == "nothing_to_send"
    assert "in the CRM already" in again.value.message


def test_a_second_backfill_while_one_runs_is_refused_with_its_progress(
    connected, django_capture_on_commit_callbacks
):
    # given: a backfill whose jobs are made but not run yet
    first = start_backfill(connected, django_capture_on_commit_callbacks, execute=False)
    with tenant_scope(connected):
        backfill_prepare(connected, first.pk)

    # when
    with pytest.raises(Conflict) as refused:
        start_backfill(connected, django_capture_on_commit_callbacks)

    # then
    assert refused.value.code == "backfill_running" and refused.value.status_code == 409
    assert "being sent already (0 of 3)" in refused.value.message
    with tenant_scope(connected):
        assert CrmBackfill.objects.for_tenant(connected).count() == 1


def test_the_database_keeps_one_running_backfill_per_connection(
    connected, django_capture_on_commit_callbacks
):
    """Two admins pressing at the same moment: the partial unique constraint decides."""
    start_backfill(connected, django_capture_on_commit_callbacks, execute=False)
    with tenant_scope(connected):
        connection = CrmConnection.objects.for_tenant(connected).get()
        with pytest.raises(IntegrityError), transaction.atomic():
            CrmBackfill.objects.create(tenant=connected, connection=connection)


def test_a_backfill_with_only_retries_left_waits_for_them_then_finishes(
    connected, old_leads, amo, django_capture_on_commit_callbacks
):
    # given / when: the first lead meets a passing error, the two others are sent
    backfill = backfill_waiting_retry(connected, django_capture_on_commit_callbacks, amo)

    # then: not sending any more, not finished either
    assert backfill.state == BackfillState.WAITING_RETRY and backfill.finished_at is None
    with tenant_scope(connected):
        progress = backfill_progress(connected, backfill)
    assert (progress["done"], progress["pushed"], progress["retrying"]) == (2, 2, 1)
    assert progress["next_retry_at"] > timezone.now() and not progress["sending"]

    # when: the retry's time comes
    run_due(connected)

    # then
    backfill = backfill_row(connected)
    assert backfill.state == BackfillState.DONE and backfill.finished_at is not None
    assert backfill.result == {"pushed": 3, "skipped": 0, "failed": 0}
    assert _markers(amo) == {f"FL-{pk}" for pk in old_leads} and len(amo.leads) == 3


def test_a_new_backfill_may_start_while_one_waits_for_retries_and_sends_no_lead_twice(
    connected, old_leads, amo, django_capture_on_commit_callbacks
):
    # given: the month-old lead left out; of the two others, the first waits for its retry
    with tenant_scope(connected):
        Lead.objects.for_tenant(connected).filter(pk=old_leads[0]).update(
            created_at=timezone.now() - timedelta(days=30)
        )
    week = timezone.now() - timedelta(days=7)
    first = backfill_waiting_retry(connected, django_capture_on_commit_callbacks, amo, since=week)
    assert first.state == BackfillState.WAITING_RETRY

    # when: all leads
    second = start_backfill(connected, django_capture_on_commit_callbacks)

    # then: only the month-old lead is chosen; the waiting one keeps its single job
    assert backfill_row(connected, second.pk).total == 1
    run_due(connected)
    assert _markers(amo) == {f"FL-{pk}" for pk in old_leads} and len(amo.leads) == 3
    assert len(jobs(connected)) == 3
    assert {backfill_row(connected, b.pk).state for b in (first, second)} == {BackfillState.DONE}


def test_leads_waiting_for_their_retry_are_not_chosen_again(
    connected, amo, django_capture_on_commit_callbacks
):
    backfill_waiting_retry(connected, django_capture_on_commit_callbacks, amo)

    with pytest.raises(Conflict) as refused:
        start_backfill(connected, django_capture_on_commit_callbacks)

    assert refused.value.code == "nothing_to_send"
    assert "waiting for a retry" in refused.value.message


def test_push_jobs_are_idempotent_per_lead_a_second_job_makes_no_second_deal(
    connected, old_leads, amo, django_capture_on_commit_callbacks
):
    """Whatever makes a second push job for a lead whose backfill job waits for its retry (a
    new-lead event delivered twice, a retry pressed): one deal, found by its link."""
    # given
    backfill = backfill_waiting_retry(connected, django_capture_on_commit_callbacks, amo)
    [waiting] = [job for job in jobs(connected) if job.status == JobStatus.PENDING]
    with tenant_scope(connected):
        lead_id = CrmLeadLink.objects.for_tenant(connected).get(pk=waiting.link_id).lead_id
        [extra] = sync.leads_created(connected, [lead_id])

    # when: the extra job runs first, then the backfill's retry
    sync_crm_job_task.delay(str(connected.pk), extra)
    run_due(connected)

    # then: one deal per lead, one creation call per lead
    assert _markers(amo) == {f"FL-{pk}" for pk in old_leads} and len(amo.leads) == 3
    assert len(amo.calls("/api/v4/leads/complex")) == 3
    assert {job.status for job in jobs(connected)} <= {JobStatus.DONE, JobStatus.SKIPPED}
    assert backfill_row(connected, backfill.pk).state == BackfillState.DONE


def test_the_database_lets_a_new_backfill_start_beside_one_waiting_for_retries(
    connected, django_capture_on_commit_callbacks
):
    first = start_backfill(connected, django_capture_on_commit_callbacks, execute=False)
    CrmBackfill.objects.unscoped().filter(pk=first.pk).update(state=BackfillState.WAITING_RETRY)
    with tenant_scope(connected):
        connection = CrmConnection.objects.for_tenant(connected).get()
        CrmBackfill.objects.create(tenant=connected, connection=connection)
        with pytest.raises(IntegrityError), transaction.atomic():
            CrmBackfill.objects.create(tenant=connected, connection=connection)


def test_a_backfill_whose_task_was_lost_is_prepared_again_by_the_beat(
    connected, amo, django_capture_on_commit_callbacks
):
    # given: started, but its task never ran (lost with the broker's message)
    backfill = start_backfill(connected, django_capture_on_commit_callbacks, execute=False)
    recover_crm_jobs_task.delay()
    assert backfill_row(connected).state == BackfillState.PREPARING  # not stalled yet

    # when: eleven minutes later
    CrmBackfill.objects.unscoped().filter(pk=backfill.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    recover_crm_jobs_task.delay()

    # then
    assert backfill_row(connected).state == BackfillState.DONE and len(amo.leads) == 3


def test_since_a_date_sends_only_the_leads_created_from_that_day(
    connected, old_leads, amo, django_capture_on_commit_callbacks
):
    # given: the first lead is a month old
    with tenant_scope(connected):
        Lead.objects.for_tenant(connected).filter(pk=old_leads[0]).update(
            created_at=timezone.now() - timedelta(days=30)
        )

    # when
    week = timezone.now() - timedelta(days=7)
    start_backfill(connected, django_capture_on_commit_callbacks, since=week)

    # then
    assert _markers(amo) == {f"FL-{pk}" for pk in old_leads[1:]}


def test_a_refused_lead_is_counted_failed_with_the_crms_reason(
    connected, amo, django_capture_on_commit_callbacks
):
    amo.fail(times=1, status=400)  # a permanent refusal of the first lead

    start_backfill(connected, django_capture_on_commit_callbacks)

    backfill = backfill_row(connected)
    assert backfill.state == BackfillState.DONE
    assert backfill.result == {"pushed": 2, "skipped": 0, "failed": 1}
    [failed] = [job for job in jobs(connected) if job.status == JobStatus.FAILED]
    assert failed.backfill_id == backfill.pk and "refused" in failed.error_text


def test_bitrix24_existing_leads_become_deals(
    on_business, bitrix, django_capture_on_commit_callbacks
):
    old = leads_before(on_business, "x@example.com", "y@example.com")
    with tenant_scope(on_business):
        services.bitrix24_connect(tenant=on_business, actor=None, webhook_url=bitrix.webhook_url)

    start_backfill(on_business, django_capture_on_commit_callbacks)

    assert sorted(deal["ORIGIN_ID"] for deal in bitrix.deals.values()) == sorted(
        f"FL-{pk}" for pk in old
    )
    assert backfill_row(on_business).result["pushed"] == 2


def test_another_companys_leads_are_never_sent(
    connected, old_leads, other_tenant, amo, django_capture_on_commit_callbacks
):
    # given: another company with its own old leads, connected to the same amoCRM account
    subscribe(other_tenant, "business")
    foreign = leads_before(other_tenant, "z@example.com")
    amo_connect(other_tenant, amo)

    # when: our company sends its existing leads
    start_backfill(connected, django_capture_on_commit_callbacks)

    # then: ours only; theirs has no link and no job
    assert _markers(amo) == {f"FL-{pk}" for pk in old_leads}
    assert f"FL-{foreign[0]}" not in _markers(amo)
    assert not CrmLeadLink.objects.unscoped().filter(tenant=other_tenant).exists()
    assert jobs(other_tenant) == []


# --- the page -----------------------------------------------------------------------------


def test_the_page_starts_it_and_polls_the_progress_n_of_m(
    admin_client_web, connected, django_capture_on_commit_callbacks
):
    web, tenant = admin_client_web, connected
    page = web.get(crm_url(tenant)).content.decode()
    assert "Send existing leads to the CRM" in page and crm_url(tenant, "backfill") in page

    # when: pressed; the worker made the jobs but has not run them yet
    with django_capture_on_commit_callbacks(execute=False):
        started = web.post(crm_url(tenant, "backfill"), {"scope": "all"}, **HX)
    assert started.status_code == 200
    assert "Sending the existing leads" in started.content.decode()
    backfill = backfill_row(tenant)
    with tenant_scope(tenant):
        backfill_prepare(tenant, backfill.pk)

    # then: 0 of 3, polling, no second button
    card = web.get(crm_url(tenant, "backfill"), **HX).content.decode()
    assert "0 of 3 leads processed" in card and 'hx-trigger="every 2s"' in card
    assert "Send existing leads</button>" not in card
    again = web.post(crm_url(tenant, "backfill"), {"scope": "all"}, **HX)
    assert again.status_code == 409 and "being sent already" in again.content.decode()

    # one job runs: 1 of 3
    first = jobs(tenant)[0]
    sync_crm_job_task.delay(str(tenant.pk), first.pk)
    assert "1 of 3 leads processed" in web.get(crm_url(tenant, "backfill"), **HX).content.decode()

    # all run: 3 of 3, finished, polling stops
    for job in jobs(tenant)[1:]:
        sync_crm_job_task.delay(str(tenant.pk), job.pk)
    done = web.get(crm_url(tenant, "backfill"), **HX).content.decode()
    assert "3 of 3 leads processed" in done and "every 2s" not in done and "Finished" in done
    assert 'data-count="pushed">3<' in done
    assert "existing lead" in web.get(crm_url(tenant, "log"), **HX).content.decode()


def test_the_page_shows_a_backfill_waiting_for_retries_and_offers_a_new_one(
    admin_client_web, connected, amo, settings, django_capture_on_commit_callbacks
):
    web, tenant = admin_client_web, connected
    backfill_waiting_retry(tenant, django_capture_on_commit_callbacks, amo)

    card = web.get(crm_url(tenant, "backfill"), **HX).content.decode()

    assert "Sent, retries pending" in card and 'data-count="retrying">1<' in card
    assert "Every lead has been tried." in card and "Next try " in card
    assert 'hx-trigger="every 60s"' in card and "Send existing leads</button>" in card
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    card = web.get(crm_url(tenant, "backfill"), **HX).content.decode()
    assert "Отправлено, ждут повтора" in card and "Ждут повтора" in card
    assert "Следующая попытка" in card


def test_since_without_a_date_is_a_field_error(admin_client_web, connected):
    answer = admin_client_web.post(crm_url(connected, "backfill"), {"scope": "since"}, **HX)
    assert answer.status_code == 400 and "Choose the date." in answer.content.decode()
    assert not CrmBackfill.objects.unscoped().exists()


def test_operators_and_analysts_are_refused_and_outsiders_get_404(
    operator_client_web, connected, outsider, operator_api, analyst_api
):
    url = crm_url(connected, "backfill")
    assert operator_client_web.post(url, {"scope": "all"}).status_code == 403
    assert operator_client_web.get(url).status_code == 403
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.post(url, {"scope": "all"}).status_code == 404
    assert operator_api.post(backfill_api(connected), {}, format="json").status_code == 403
    assert analyst_api.get(backfill_api(connected)).status_code == 403
    assert not CrmBackfill.objects.unscoped().exists()


def test_the_crm_page_is_crm_in_the_sidebar_and_bitrix24_says_incoming_webhook(
    admin_client_web, on_business
):
    page = admin_client_web.get(crm_url(on_business)).content.decode()
    assert f'href="{crm_url(on_business)}" aria-current="page"' in page
    assert f'href="/t/{on_business.slug}/webhooks/" aria-current="page"' not in page
    assert "Bitrix24 connects with an incoming webhook" in page
    webhooks = admin_client_web.get(f"/t/{on_business.slug}/webhooks/").content.decode()
    assert f'href="/t/{on_business.slug}/webhooks/" aria-current="page"' in webhooks


# --- the API ------------------------------------------------------------------------------


def test_the_api_starts_it_reports_progress_and_refuses_a_second(
    admin_api, connected, amo, django_capture_on_commit_callbacks
):
    assert admin_api.get(backfill_api(connected)).json() == {"backfill": None}

    with django_capture_on_commit_callbacks(execute=False):
        started = admin_api.post(backfill_api(connected), {}, format="json")
    assert started.status_code == 202 and started.json()["state"] == "preparing"
    refused = admin_api.post(backfill_api(connected), {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "backfill_running"

    with django_capture_on_commit_callbacks(execute=True), tenant_scope(connected):
        backfill_prepare(connected, started.json()["id"])
        for job in jobs(connected):
            sync_crm_job_task.delay(str(connected.pk), job.pk)
    body = admin_api.get(backfill_api(connected)).json()["backfill"]
    assert (body["state"], body["done"], body["total"], body["pushed"]) == ("done", 3, 3, 3)
    assert body["failures"] == [] and len(amo.leads) == 3


def test_the_api_shows_a_backfill_waiting_for_retries_and_starts_another_beside_it(
    admin_api, connected, old_leads, amo, django_capture_on_commit_callbacks
):
    # given: a lead from before the connection that the first backfill did not choose
    with tenant_scope(connected):
        Lead.objects.for_tenant(connected).filter(pk=old_leads[0]).update(
            created_at=timezone.now() - timedelta(days=30)
        )
    week = timezone.now() - timedelta(days=7)
    backfill_waiting_retry(connected, django_capture_on_commit_callbacks, amo, since=week)

    body = admin_api.get(backfill_api(connected)).json()["backfill"]
    assert (body["state"], body["done"], body["total"]) == ("waiting_retry", 1, 2)
    assert body["retrying"] == 1 and body["next_retry_at"] and body["finished_at"] is None

    with django_capture_on_commit_callbacks(execute=False):
        started = admin_api.post(backfill_api(connected), {}, format="json")
    assert started.status_code == 202 and started.json()["state"] == "preparing"
    assert started.json()["retrying"] == 0 and started.json()["next_retry_at"] is None


def test_the_api_does_not_show_or_start_another_companys_backfill(
    admin_api, connected, other_tenant, outsider_api
):
    assert outsider_api.post(backfill_api(connected), {}, format="json").status_code == 404
    assert admin_api.get(backfill_api(other_tenant)).status_code == 404
