"""The widget's intake queue (apps/leads/widget_intake.py): answered once queued, stored by a
drain in batches. Here the drain is not woken (no eager Celery): each test drains itself, so
it sees the state between the answer and the store. The queue runs on PostgreSQL (the
embedded SQLite default stores each submission in the view: tested in test_widget.py)."""

import io
import json
import threading
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection
from django.utils import timezone

from apps.billing.models import UsageMeter
from apps.billing.tests.helpers import meter_set, meter_used, subscribe
from apps.leads import widget_intake
from apps.leads.models import Lead, LeadAction, Source, WidgetIntake
from apps.leads.tasks import purge_lead_files_task, widget_intake_drain_task
from apps.leads.widget_intake import intake_drain, intake_queued, visitor_lead_settled
from apps.privacy.models import ConsentRecord
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ORIGIN = "https://example.com"
GOOD = {
    "name": "Анна",
    "email": "anna@example.com",
    "message": "Перезвоните",
    "consents": {"processing": True, "marketing": True},
    "page_url": "https://example.com/pricing",
}


@pytest.fixture
def queue(settings):
    """The queue on, no eager Celery: the wake is recorded instead of publishing a drain."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LEADS_WIDGET_QUEUE = True
    widget_intake._woken_at[0] = 0.0
    cache.delete(widget_intake.TAIL_MARK)
    with mock.patch("apps.leads.public_api.widget_intake_wake") as wake:
        yield wake


def submit(client, key, body=GOOD, origin=ORIGIN):
    return client.post(
        f"/api/public/v1/widget/{key}/leads/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def leads(tenant):
    with tenant_scope(tenant):
        return list(Lead.objects.order_by("pk"))


def test_a_submission_is_answered_once_queued_and_stored_by_the_drain(
    client, tenant, publishable_key, queue
):
    body = {**GOOD, "submission_id": str(uuid.uuid4())}
    response = submit(client, publishable_key, body)
    assert response.status_code == 201
    assert response.json() == {"status": "received"}
    assert leads(tenant) == []  # queued, not stored yet
    assert intake_queued() == 1
    queue.assert_called_once()

    assert intake_drain() == 1
    (lead,) = leads(tenant)
    assert (lead.email, lead.name, lead.source) == ("anna@example.com", "Анна", Source.WIDGET)
    assert lead.consent_processing and lead.consent_marketing
    assert lead.consent_source == "https://example.com/pricing"
    with tenant_scope(tenant):
        action = LeadAction.objects.get()
        assert ConsentRecord.objects.filter(lead_id=lead.pk).count() == 2
    assert action.action_type == "Form Submission"
    assert action.metadata["page_url"] == "https://example.com/pricing"
    row = WidgetIntake.objects.unscoped().get()
    assert row.stored_at is not None and row.lead_id == lead.pk
    assert row.payload == {}  # no personal data is kept once stored
    assert intake_queued() == 0


def test_a_process_wakes_a_drain_at_most_once_a_second(client, tenant, publishable_key, queue):
    clock = iter([100.0, 100.5, 101.2])
    with mock.patch.object(widget_intake, "_clock", lambda: next(clock)):
        for n in range(3):
            submit(client, publishable_key, {**GOOD, "email": f"v{n}@example.com"})
    assert queue.call_count == 2  # the second came within a second of the first


def test_no_wake_while_a_drain_is_due_anyway(client, tenant, publishable_key, queue):
    cache.set(widget_intake.TAIL_MARK, 1, 60)  # the last drain's next look is pending
    submit(client, publishable_key)
    queue.assert_not_called()
    cache.delete(widget_intake.TAIL_MARK)
    widget_intake._woken_at[0] = 0.0
    submit(client, publishable_key, {**GOOD, "email": "next@example.com"})
    queue.assert_called_once()


def test_a_batch_stores_each_tenant_and_page_with_its_own_consent_source(
    client, tenant, publishable_key, queue
):
    other = TenantFactory(name="Other")
    other_key = publishable_key_get_or_create(other).key
    submit(client, publishable_key, {**GOOD, "email": "a@example.com"})
    submit(client, publishable_key, {**GOOD, "email": "b@example.com", "page_url": f"{ORIGIN}/b"})
    submit(client, other_key, {**GOOD, "email": "a@example.com"})
    submit(client, publishable_key, {**GOOD, "email": "A@example.com", "name": ""})  # merges
    assert intake_drain() == 4
    mine = leads(tenant)
    assert [(lead.email, lead.consent_source) for lead in mine] == [
        ("a@example.com", "https://example.com/pricing"),
        ("b@example.com", "https://example.com/b"),
    ]
    with tenant_scope(tenant):
        assert LeadAction.objects.filter(lead=mine[0]).count() == 2  # both presses recorded
    assert [lead.email for lead in leads(other)] == ["a@example.com"]


def test_invalid_submissions_are_refused_before_queueing(client, tenant, publishable_key, queue):
    response = submit(client, publishable_key, {**GOOD, "email": "not an e-mail"})
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]
    assert intake_queued() == 0
    queue.assert_not_called()


def test_a_retried_press_is_queued_once(client, tenant, publishable_key, queue):
    body = {**GOOD, "submission_id": str(uuid.uuid4())}
    assert submit(client, publishable_key, body).status_code == 201
    assert submit(client, publishable_key, body).status_code == 201
    assert intake_queued() == 1
    intake_drain()
    assert submit(client, publishable_key, body).status_code == 201  # after it was stored
    assert intake_queued() == 0
    with tenant_scope(tenant):
        assert LeadAction.objects.count() == 1


def test_the_booking_step_finds_a_lead_that_is_still_queued(client, tenant, publishable_key, queue):
    submission_id = uuid.uuid4()
    submit(client, publishable_key, {**GOOD, "submission_id": str(submission_id)})
    lead_id = visitor_lead_settled(str(tenant.pk), submission_id)  # stores the queue
    (lead,) = leads(tenant)
    assert lead_id == lead.pk
    assert intake_queued() == 0


def test_the_booking_step_does_not_store_for_a_submission_it_does_not_know(
    client, tenant, publishable_key, queue
):
    submit(client, publishable_key)  # queued, someone else's
    with mock.patch.object(widget_intake, "intake_drain") as drain:
        assert visitor_lead_settled(str(tenant.pk), uuid.uuid4()) is None
        assert visitor_lead_settled(str(tenant.pk), "not-an-id") is None
    drain.assert_not_called()
    assert intake_queued() == 1


# --- hard limits: held on the meter in the statement that queues -----------------------------


def test_a_hard_limit_is_held_at_the_answer_and_refuses_beyond_it(
    client, tenant, publishable_key, queue
):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2499)
    assert submit(client, publishable_key, {**GOOD, "email": "a@example.com"}).status_code == 201
    assert meter_used(tenant) == 2500  # held before the lead is stored
    refused = submit(client, publishable_key, {**GOOD, "email": "b@example.com"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "form_unavailable"
    assert intake_queued() == 1
    intake_drain()
    assert [lead.email for lead in leads(tenant)] == ["a@example.com"]
    assert meter_used(tenant) == 2500  # stored without counting it twice


def test_the_first_lead_of_a_period_opens_its_meter(client, tenant, publishable_key, queue):
    subscribe(tenant, "email_2500")
    UsageMeter.objects.for_tenant(tenant).delete()
    assert submit(client, publishable_key).status_code == 201
    assert meter_used(tenant) == 1
    intake_drain()
    assert meter_used(tenant) == 1 and len(leads(tenant)) == 1


def test_a_held_submission_that_merges_gives_its_hold_back(client, tenant, publishable_key, queue):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 10)
    submit(client, publishable_key, {**GOOD, "email": "a@example.com"})
    submit(client, publishable_key, {**GOOD, "email": "A@example.com"})
    assert meter_used(tenant) == 12
    intake_drain()
    assert len(leads(tenant)) == 1
    assert meter_used(tenant) == 11


def test_a_retried_press_gives_its_hold_back(client, tenant, publishable_key, queue):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 10)
    body = {**GOOD, "submission_id": str(uuid.uuid4())}
    submit(client, publishable_key, body)
    assert submit(client, publishable_key, body).status_code == 201
    assert intake_queued() == 1
    assert meter_used(tenant) == 11


def test_unlimited_plans_are_counted_by_the_drain(client, tenant, publishable_key, queue):
    subscribe(tenant, "business")  # no lead limit
    before = meter_used(tenant)
    submit(client, publishable_key)
    assert meter_used(tenant) == before  # nothing to hold: counted when stored
    intake_drain()
    assert meter_used(tenant) == before + 1


# --- failures ---------------------------------------------------------------------------------


def test_a_deleted_companys_queued_submissions_go_with_it(client, tenant, publishable_key, queue):
    submit(client, publishable_key)
    Tenant.objects.filter(pk=tenant.pk).delete()
    assert intake_queued() == 0
    assert intake_drain() == 0


def test_a_database_outage_leaves_the_batch_queued(client, tenant, publishable_key, queue):
    submit(client, publishable_key)
    with (
        mock.patch.object(widget_intake, "ingest_leads", side_effect=OperationalError("closed")),
        pytest.raises(OperationalError),
    ):
        intake_drain()
    assert intake_queued() == 1
    assert intake_drain() == 1
    assert len(leads(tenant)) == 1


def test_a_group_that_cannot_be_stored_is_set_aside_and_can_be_replayed(
    client, tenant, publishable_key, queue
):
    other = TenantFactory(name="Other")
    submit(client, publishable_key)
    submit(client, publishable_key_get_or_create(other).key)
    real = widget_intake.ingest_leads

    def broken_for_mine(**kwargs):
        if kwargs["tenant"].pk == tenant.pk:
            raise DatabaseError("bad row")
        return real(**kwargs)

    with mock.patch.object(widget_intake, "ingest_leads", side_effect=broken_for_mine):
        assert intake_drain() == 2  # both taken: the other company's stored, mine set aside
    assert len(leads(other)) == 1
    failed = WidgetIntake.objects.unscoped().get(tenant=tenant)
    assert failed.failed_at is not None and failed.error == "bad row"
    assert failed.payload["item"]["email"] == "anna@example.com"  # kept for the replay
    assert intake_queued() == 0

    out = io.StringIO()
    with mock.patch("apps.leads.management.commands.widget_intake_replay.widget_intake_wake"):
        call_command("widget_intake_replay", stdout=out)
    assert "1 submissions queued again" in out.getvalue()
    assert intake_drain() == 1
    assert len(leads(tenant)) == 1


def test_an_unreadable_row_is_set_aside_instead_of_blocking_the_queue(
    client, tenant, publishable_key, queue
):
    submit(client, publishable_key, {**GOOD, "email": "first@example.com"})
    submit(client, publishable_key, {**GOOD, "email": "second@example.com"})
    first = WidgetIntake.objects.unscoped().order_by("id").first()
    WidgetIntake.objects.unscoped().filter(pk=first.pk).update(
        payload={"source": "widget", "consent_source": "elsewhere"}  # no item: a bug's row
    )
    assert intake_drain() == 2
    assert [lead.email for lead in leads(tenant)] == ["second@example.com"]
    first.refresh_from_db()
    assert first.failed_at is not None and "item" in first.error


def test_no_tail_is_queued_while_redis_is_down(redis_down):
    assert not widget_intake.intake_tail_due()


def test_the_task_drains_batch_by_batch_and_looks_again_later(
    client, tenant, publishable_key, queue
):
    for n in range(3):
        submit(client, publishable_key, {**GOOD, "email": f"v{n}@example.com"})
    with (
        mock.patch.object(widget_intake, "BATCH", 2),
        mock.patch("apps.leads.tasks.BATCH", 2),
        mock.patch.object(widget_intake_drain_task, "apply_async") as later,
    ):
        assert widget_intake_drain_task.run() == 3
        later.assert_called_once_with(countdown=widget_intake.TAIL_SECONDS)
        later.reset_mock()
        submit(client, publishable_key, {**GOOD, "email": "late@example.com"})
        assert widget_intake_drain_task.run() == 1
        later.assert_not_called()  # a tail is pending already: no second chain
        cache.delete(widget_intake.TAIL_MARK)
        assert widget_intake_drain_task.run() == 0
        later.assert_not_called()  # nothing stored: no tail
    assert len(leads(tenant)) == 4


def test_a_batch_set_aside_whole_does_not_stop_the_task(client, tenant, publishable_key, queue):
    for n in range(3):
        submit(client, publishable_key, {**GOOD, "email": f"v{n}@example.com"})
    first_two = WidgetIntake.objects.unscoped().order_by("id").values_list("pk", flat=True)[:2]
    WidgetIntake.objects.unscoped().filter(pk__in=list(first_two)).update(
        payload={"source": "widget", "consent_source": "x"}  # unreadable: set aside
    )
    with (
        mock.patch.object(widget_intake, "BATCH", 2),
        mock.patch("apps.leads.tasks.BATCH", 2),
        mock.patch.object(widget_intake_drain_task, "apply_async"),
    ):
        assert widget_intake_drain_task.run() == 3  # the next batch after a failed one
    assert [lead.email for lead in leads(tenant)] == ["v2@example.com"]
    assert intake_queued() == 0


def test_the_task_leaves_the_queue_when_the_database_is_down(
    client, tenant, publishable_key, queue
):
    submit(client, publishable_key)
    with mock.patch("apps.leads.tasks.intake_drain", side_effect=OperationalError("closed")):
        assert widget_intake_drain_task.run() == 0
    assert intake_queued() == 1


def test_stored_marks_are_purged_after_a_day(client, tenant, publishable_key, queue):
    submit(client, publishable_key, {**GOOD, "email": "old@example.com"})
    submit(client, publishable_key, {**GOOD, "email": "new@example.com"})
    intake_drain()
    submit(client, publishable_key, {**GOOD, "email": "waiting@example.com"})
    old = WidgetIntake.objects.unscoped().order_by("id").first()
    WidgetIntake.objects.unscoped().filter(pk=old.pk).update(
        stored_at=timezone.now() - timedelta(days=2)
    )
    assert purge_lead_files_task()["widget_intake_marks"] == 1
    assert WidgetIntake.objects.unscoped().count() == 2
    assert intake_queued() == 1  # a waiting submission is never purged


def test_the_queue_can_be_switched_off(settings, client, tenant, publishable_key, queue):
    settings.LEADS_WIDGET_QUEUE = False
    assert submit(client, publishable_key).status_code == 201
    assert len(leads(tenant)) == 1  # stored by the view itself
    assert not WidgetIntake.objects.unscoped().exists()
    queue.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_drains_side_by_side_store_each_submission_once(tenant):
    """Two workers draining at once (row locks, SKIP LOCKED: PostgreSQL)."""
    entitlements = widget_intake.entitlements_get(tenant)
    for n in range(40):
        item = {
            "email": f"p{n}@example.com",
            "consent": {"processing": True},
            "actions": [
                {
                    "action_type": "Form Submission",
                    "timestamp": timezone.now().isoformat(),
                    "engagement_level": "High",
                }
            ],
        }
        submission = widget_intake.Submission(item=item, source="widget", consent_source="t")
        assert widget_intake.intake_enqueue(tenant, entitlements, submission) == "queued"
    stored = []

    def drain():
        try:
            while count := intake_drain(limit=5):
                stored.append(count)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(stored) == 40
    assert len(leads(tenant)) == 40
    with tenant_scope(tenant):
        assert LeadAction.objects.count() == 40
    assert intake_queued() == 0


def test_a_lead_refused_when_stored_is_kept_to_replay(client, tenant, publishable_key, queue):
    """The plan gained a hard limit, reached, while the submission waited (not held)."""
    submit(client, publishable_key)  # no plan yet: nothing to hold
    subscribe(tenant, "email_2500")
    meter_set(tenant, 2500)
    assert intake_drain() == 1  # taken, and set aside
    row = WidgetIntake.objects.unscoped().get()
    assert row.failed_at is not None and "2500" in row.error
    assert row.payload["item"]["email"] == "anna@example.com"
    assert leads(tenant) == []
