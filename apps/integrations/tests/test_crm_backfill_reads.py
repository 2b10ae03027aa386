"""A GET never writes: the backfill's page, its HTMX card and its API show the state its jobs
prove, stored or not yet, and write nothing; the state is stored where the work happens (the
job's task, the recovery beat)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.integrations.crm import sync
from apps.integrations.crm.backfill import backfill_prepare
from apps.integrations.crm.models import BackfillState
from apps.integrations.crm.tasks import recover_crm_jobs_task, sync_crm_job_task
from apps.integrations.tests.backfill_helpers import (
    backfill_api,
    backfill_row,
    crm_url,
    start_backfill,
)
from apps.integrations.tests.crm_helpers import jobs
from apps.leads.services import lead_delete
from apps.tenants.models import AuditLogEntry
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _english(english_ui):
    """The assertions read the English source strings."""


def _prepared(tenant, capture):
    """A backfill whose jobs are made, none run yet."""
    backfill = start_backfill(tenant, capture, execute=False)
    with tenant_scope(tenant):
        backfill_prepare(tenant, backfill.pk)
    return backfill


def _run_without_its_task(tenant, job_ids) -> None:
    """The jobs' work only: the task's last step (storing the backfill's state) not yet."""
    with tenant_scope(tenant):
        for pk in job_ids:
            sync.job_run(tenant, pk)


def _read_everything(web, api, tenant) -> tuple[str, str, dict]:
    """The CRM page, the backfill's card and its API answer, with no write among the queries."""
    web.get(crm_url(tenant, "log"))  # the session remembers the company on a first visit
    with CaptureQueriesContext(connection) as queries:
        page = web.get(crm_url(tenant)).content.decode()
        card = web.get(crm_url(tenant, "backfill"), **HX).content.decode()
        body = api.get(backfill_api(tenant)).json()["backfill"]
    writes = [query["sql"] for query in queries.captured_queries if WRITE.match(query["sql"])]
    assert writes == []
    return page, card, body


def test_reading_a_finished_backfill_writes_nothing_and_shows_it_done(
    admin_client_web, admin_api, connected, django_capture_on_commit_callbacks
):
    # given: every job ran, the backfill's row not told yet
    backfill = _prepared(connected, django_capture_on_commit_callbacks)
    _run_without_its_task(connected, [job.pk for job in jobs(connected)])

    # when
    page, card, body = _read_everything(admin_client_web, admin_api, connected)

    # then: shown done, stored as it was
    assert "3 of 3 leads processed" in card and "Finished" in card and "every 2s" not in card
    assert "3 of 3 leads processed" in page
    assert (body["state"], body["done"], body["pushed"]) == ("done", 3, 3)
    assert body["finished_at"] is not None
    stored = backfill_row(connected, backfill.pk)
    assert stored.state == BackfillState.RUNNING and stored.finished_at is None

    # when: the task's own step (a job's task run again: the job is finished already)
    sync_crm_job_task.delay(str(connected.pk), jobs(connected)[0].pk)

    # then: stored done, once, audited
    stored = backfill_row(connected, backfill.pk)
    assert stored.state == BackfillState.DONE and stored.finished_at is not None
    assert stored.result == {"pushed": 3, "skipped": 0, "failed": 0}
    events = AuditLogEntry.objects.for_tenant(connected).filter(target_type="crm_connection")
    assert events.filter(after__event="backfill_finished").count() == 1


def test_reading_a_backfill_with_only_retries_left_writes_nothing_and_shows_them(
    admin_client_web, admin_api, connected, amo, django_capture_on_commit_callbacks
):
    # given: the first lead met a passing error (503), the others were sent; row not told
    backfill = _prepared(connected, django_capture_on_commit_callbacks)
    amo.fail(times=1, status=503)
    _run_without_its_task(connected, [job.pk for job in jobs(connected)])

    # when
    _page, card, body = _read_everything(admin_client_web, admin_api, connected)

    # then
    assert "Sent, retries pending" in card and 'hx-trigger="every 60s"' in card
    assert "Send existing leads</button>" in card
    assert (body["state"], body["done"], body["retrying"]) == ("waiting_retry", 2, 1)
    assert body["finished_at"] is None and body["next_retry_at"]
    assert backfill_row(connected, backfill.pk).state == BackfillState.RUNNING

    # when: the task's own step
    sync_crm_job_task.delay(str(connected.pk), jobs(connected)[0].pk)

    # then
    assert backfill_row(connected, backfill.pk).state == BackfillState.WAITING_RETRY


def test_the_recovery_beat_stores_the_end_of_a_backfill_whose_last_job_was_deleted(
    admin_client_web, admin_api, connected, old_leads, django_capture_on_commit_callbacks
):
    # given: two jobs ran with their task; the third lead is deleted (its link and job too)
    backfill = _prepared(connected, django_capture_on_commit_callbacks)
    for job in jobs(connected)[:2]:
        sync_crm_job_task.delay(str(connected.pk), job.pk)
    waiting = jobs(connected)[2]
    with tenant_scope(connected):
        lead_delete(tenant=connected, actor=None, lead_id=waiting.link.lead_id)

    # when: read, then the beat
    _page, card, body = _read_everything(admin_client_web, admin_api, connected)
    assert backfill_row(connected, backfill.pk).state == BackfillState.RUNNING
    recover_crm_jobs_task.delay()

    # then: shown done (2 of 3 processed), and stored done by the beat
    assert "2 of 3 leads processed" in card and "Finished" in card
    assert (body["state"], body["done"], body["total"]) == ("done", 2, 3)
    stored = backfill_row(connected, backfill.pk)
    assert stored.state == BackfillState.DONE
    assert stored.result == {"pushed": 2, "skipped": 0, "failed": 0}
