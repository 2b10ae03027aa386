"""The widget's intake queue (apps/leads/widget_intake.py): answered once queued, stored by a
drain in batches. Here the drain is not woken (no eager Celery): each test drains itself, so
it sees the state between the answer and the store."""

import io
import json
import uuid
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, OperationalError

from apps.billing.tests.helpers import meter_set, meter_used, subscribe
from apps.core import events
from apps.leads import widget_intake
from apps.leads.models import Lead, LeadAction, Source
from apps.leads.tasks import widget_intake_drain_task
from apps.leads.tests.test_widget_redis_down import database_down
from apps.leads.widget_hooks import visitor_lead_id
from apps.leads.widget_intake import BUSY, intake_drain, intake_queued, visitor_lead_settled
from apps.privacy.models import ConsentRecord
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory
from tests.redis_cache import redis_cache_empty, redis_cache_settings

pytestmark = pytest.mark.django_db

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
    """A Redis cache of the test's own, the queue on, and the wake recorded instead of
    publishing a drain task."""
    settings.CACHES = {"default": redis_cache_settings()}
    try:
        redis_cache_empty()
    except Exception:
        pytest.skip("the intake queue lives in Redis: no Redis on 127.0.0.1:6379")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch("apps.leads.public_api.widget_intake_wake") as wake:
        yield wake
    redis_cache_empty()


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
    response = submit(client, publishable_key)
    assert response.status_code == 201
    assert response.json() == {"status": "received"}
    assert leads(tenant) == []  # queued, not stored yet
    assert intake_queued() == 1
    queue.assert_called_once()  # the first push wakes a drain

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
    assert intake_queued() == 0


def test_later_pushes_do_not_wake_again_until_a_drain_ran(client, tenant, publishable_key, queue):
    for n in range(3):
        assert (
            submit(client, publishable_key, {**GOOD, "email": f"v{n}@example.com"}).status_code
            == 201
        )
    assert queue.call_count == 1
    intake_drain()
    submit(client, publishable_key, {**GOOD, "email": "late@example.com"})
    assert queue.call_count == 2  # the drain cleared the wake: the next push wakes one
    intake_drain()
    assert len(leads(tenant)) == 4


def test_a_batch_stores_each_tenant_and_page_with_its_own_consent_source(
    client, tenant, publishable_key, queue
):
    other = TenantFactory(name="Other")
    other_key = widget_intake_key(other)
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


def widget_intake_key(tenant) -> str:
    return publishable_key_get_or_create(tenant).key


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
    with tenant_scope(tenant):
        assert LeadAction.objects.count() == 1


def test_the_booking_step_finds_a_lead_that_is_still_queued(client, tenant, publishable_key, queue):
    submission_id = uuid.uuid4()
    submit(client, publishable_key, {**GOOD, "submission_id": str(submission_id)})
    assert visitor_lead_id(tenant.pk, submission_id) is None  # queued
    lead_id = visitor_lead_settled(str(tenant.pk), submission_id)  # drains it
    (lead,) = leads(tenant)
    assert lead_id == lead.pk
    assert intake_queued() == 0


def test_the_booking_step_does_not_wait_for_a_submission_that_was_never_sent(tenant, queue):
    assert visitor_lead_settled(str(tenant.pk), uuid.uuid4()) is None


# --- hard limits: held on the meter before queueing ------------------------------------------


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


def test_a_held_submission_that_merges_gives_its_hold_back(client, tenant, publishable_key, queue):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 10)
    submit(client, publishable_key, {**GOOD, "email": "a@example.com"})
    submit(client, publishable_key, {**GOOD, "email": "A@example.com"})
    assert meter_used(tenant) == 12
    intake_drain()
    assert len(leads(tenant)) == 1
    assert meter_used(tenant) == 11


def test_a_duplicate_press_gives_its_hold_back(client, tenant, publishable_key, queue):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 10)
    body = {**GOOD, "submission_id": str(uuid.uuid4())}
    submit(client, publishable_key, body)
    assert submit(client, publishable_key, body).status_code == 201  # held, then told apart
    assert intake_queued() == 1
    assert meter_used(tenant) == 11


# --- failures ---------------------------------------------------------------------------------


def test_without_redis_the_view_stores_the_submission_itself(
    client, tenant, publishable_key, queue
):
    with mock.patch.object(
        widget_intake, "_redis", side_effect=widget_intake.IntakeUnavailable("down")
    ):
        assert submit(client, publishable_key).status_code == 201
    assert [lead.email for lead in leads(tenant)] == ["anna@example.com"]
    queue.assert_not_called()


def test_a_hold_is_given_back_when_redis_cannot_take_the_submission(
    client, tenant, publishable_key, queue
):
    subscribe(tenant, "email_2500")
    meter_set(tenant, 10)
    with mock.patch(
        "apps.leads.public_api.intake_enqueue", side_effect=widget_intake.IntakeUnavailable("x")
    ):
        assert submit(client, publishable_key).status_code == 201
    assert meter_used(tenant) == 11  # given back, then counted once by the direct store
    assert len(leads(tenant)) == 1


def test_a_deleted_companys_queued_submissions_are_dropped(client, tenant, publishable_key, queue):
    submit(client, publishable_key)
    Tenant.objects.filter(pk=tenant.pk).delete()
    with mock.patch.object(events, "logger") as log:
        assert intake_drain() == 0
    assert intake_queued() == 0
    logged = [c.args[0] for c in log.info.call_args_list]
    assert "widget_intake_dropped" in logged


def test_a_database_outage_leaves_the_batch_queued(client, tenant, publishable_key, queue):
    submit(client, publishable_key)
    with (
        mock.patch.object(
            widget_intake, "ingest_leads", side_effect=OperationalError("server closed")
        ),
        pytest.raises(OperationalError),
    ):
        intake_drain()
    assert intake_queued() == 1
    assert intake_drain() == 1  # the lock was released: the next drain stores it
    assert len(leads(tenant)) == 1


def test_a_batch_that_cannot_be_stored_goes_to_the_dead_letter_list(
    client, tenant, publishable_key, queue
):
    submit(client, publishable_key)
    with mock.patch.object(widget_intake, "ingest_leads", side_effect=DatabaseError("bad row")):
        assert intake_drain() == 0
    assert intake_queued() == 0
    client_redis, _scripts = widget_intake._redis()
    (dead,) = client_redis.lrange(widget_intake._key(widget_intake.FAILED), 0, -1)
    assert json.loads(dead)["item"]["email"] == "anna@example.com"


def test_one_drainer_at_a_time_and_the_task_asks_again(client, tenant, publishable_key, queue):
    submit(client, publishable_key)
    redis, _scripts = widget_intake._redis()
    redis.set(widget_intake._key(widget_intake.LOCK), "someone-else")
    assert intake_drain() == BUSY
    retry = mock.patch.object(widget_intake_drain_task, "retry", side_effect=RuntimeError)
    with retry as retried, pytest.raises(RuntimeError):
        widget_intake_drain_task.run()
    retried.assert_called_once_with(countdown=1)
    redis.delete(widget_intake._key(widget_intake.LOCK))
    assert widget_intake_drain_task.run() == 1


def test_the_queue_is_not_used_without_a_shared_redis_cache(
    settings, client, tenant, publishable_key
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert not widget_intake.intake_available()
    assert submit(client, publishable_key).status_code == 201
    assert len(leads(tenant)) == 1  # stored by the view itself


def test_the_queue_can_be_switched_off(settings, client, tenant, publishable_key, queue):
    settings.LEADS_WIDGET_QUEUE = False
    assert submit(client, publishable_key).status_code == 201
    assert len(leads(tenant)) == 1
    queue.assert_not_called()


def test_staff_can_queue_the_dead_letters_again(client, tenant, publishable_key, queue):
    submit(client, publishable_key)
    with mock.patch.object(widget_intake, "ingest_leads", side_effect=DatabaseError("bad row")):
        intake_drain()
    out = io.StringIO()
    with mock.patch("apps.leads.management.commands.widget_intake_replay.widget_intake_wake"):
        call_command("widget_intake_replay", stdout=out)
    assert "1 submissions queued again" in out.getvalue()
    assert intake_drain() == 1
    assert len(leads(tenant)) == 1


def test_a_drain_stops_at_its_batch_bound_and_the_task_goes_on(
    client, tenant, publishable_key, queue
):
    for n in range(3):
        submit(client, publishable_key, {**GOOD, "email": f"v{n}@example.com"})
    with (
        mock.patch.object(widget_intake, "BATCH", 1),
        mock.patch.object(widget_intake, "MAX_BATCHES", 2),
        mock.patch("apps.leads.tasks.widget_intake_wake") as wake,
    ):
        assert widget_intake_drain_task.run() == 2
        wake.assert_called_once()  # one left: the next run goes on
        assert widget_intake_drain_task.run() == 1
        wake.assert_called_once()  # nothing left
    assert len(leads(tenant)) == 3


def test_with_the_database_down_a_submission_waits_in_the_queue(
    client, tenant, publishable_key, queue
):
    """The answer needs no database once the key and settings are cached (no hard limit to
    hold): the visitor's submission is kept, and stored by the drain once the database is
    back; the drain task itself leaves it queued instead of failing."""
    submit(client, publishable_key, {**GOOD, "email": "first@example.com"})  # caches the key
    intake_drain()
    with database_down():
        response = submit(client, publishable_key)
        assert widget_intake_drain_task.run() == 0
    assert response.status_code == 201
    assert intake_queued() == 1
    assert intake_drain() == 1
    assert [lead.email for lead in leads(tenant)] == ["first@example.com", "anna@example.com"]


def test_the_booking_step_does_not_wait_on_other_companies_submissions(
    client, tenant, publishable_key, queue
):
    submit(client, publishable_key)  # queued, someone else's
    with mock.patch.object(widget_intake, "intake_drain") as drain:
        assert visitor_lead_settled(str(tenant.pk), uuid.uuid4()) is None
    drain.assert_not_called()
    assert intake_queued() == 1
