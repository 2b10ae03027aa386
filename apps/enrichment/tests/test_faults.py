"""Enrichment under faults: provider errors and bad answers, a killed worker, a lead deleted or
the tool switched off while queued, a declined card — one lead never breaks the batch, and
what was not delivered is given back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.ai.ratelimit import CacheBackend, RateLimiter, get_rate_limiter
from apps.billing.errors import PaymentDeclined, PaymentMethodRequired
from apps.billing.models import Subscription, UsageCharge
from apps.billing.services.payments import ProviderUnavailable
from apps.billing.tests.helpers import subscribe
from apps.enrichment import services
from apps.enrichment.models import EnrichmentRun, LeadEnrichment
from apps.enrichment.services import common
from apps.enrichment.tasks import enrich_lead_task, recover_stale_enrichment_runs_task
from apps.enrichment.tests.fixtures import *  # noqa: F403
from apps.enrichment.tests.fixtures import (
    ANSWER,
    CREDIT,
    UNIT,
    balance,
    charges,
    items,
    lead,
    run_of,
    start,
)
from apps.features.services import tenant_feature_set
from apps.leads.models import Lead, TimelineEntry
from apps.leads.tests.conftest import make_leads
from apps.payments.gateways.base import ProviderError
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import Payment
from apps.tenants.scoping import tenant_scope

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def _untouched(tenant, lead_id) -> None:
    row = lead(tenant, lead_id)
    assert (row.company, row.website, row.industry, row.pain_point) == ("", "", "", "")
    assert row.not_determined == {}
    with tenant_scope(tenant):
        assert not TimelineEntry.objects.filter(lead_id=lead_id, kind="enriched").exists()


def test_429_529_and_500_are_retried_then_the_lead_is_enriched(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    fake_ai.rate_limited(retry_after=3).overloaded().server_error(500)
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads[:1])
    item = items(paying, run)[0]
    assert item.status == "enriched"
    assert len(fake_ai.requests) == 4
    assert fake_ai.sleeps.waits[0] >= 3  # retry-after honoured
    assert lead(paying, two_leads[0]).company == "ООО Ромашка"


@pytest.mark.parametrize(
    "script, reason",
    [
        (lambda fake: [fake.rate_limited(retry_after=1) for _ in range(4)], "rate"),
        (lambda fake: [fake.overloaded() for _ in range(4)], "overload"),
        (lambda fake: [fake.server_error(500) for _ in range(4)], "server"),
    ],
    ids=["429", "529", "500"],
)
def test_retryable_errors_exhausted_fail_the_lead_with_the_reason_and_give_it_back(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks, script, reason
):
    script(fake_ai)
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads[:1])
    run = run_of(paying, run)
    item = items(paying, run)[0]
    assert item.status == "failed" and item.attempts == 1
    assert reason in item.failure_reason.lower(), item.failure_reason
    assert len(fake_ai.requests) == 4 and len(fake_ai.sleeps.waits) == 3
    assert run.status == "done" and run.leads_failed == 1 and run.leads_enriched == 0
    _untouched(paying, two_leads[0])
    # the failed lead is given back: the balance is whole again
    [charge] = charges(paying)
    assert charge.refunded_quantity == 1 and charge.refunded_amount == UNIT
    assert balance(paying) == CREDIT


def test_a_timeout_is_retried_within_budget_then_fails(
    paying, fake_ai, two_leads, settings, django_capture_on_commit_callbacks
):
    settings.AI_TIMEOUT_SECONDS = 0.3
    fake_ai.policy = {"max_attempts": 2, "max_seconds": 60.0}
    fake_ai.slow(1.0, ANSWER).slow(1.0, ANSWER)
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads[:1])
    item = items(paying, run)[0]
    assert item.status == "failed" and "0.3 s" in item.failure_reason
    assert len(fake_ai.requests) == 2
    _untouched(paying, two_leads[0])


@pytest.mark.parametrize(
    "reply, words",
    [
        ("the answer is {company: Romashka", "not valid json"),
        ({**ANSWER, "role": {"value": None, "determined": True, "confidence": 0.9}}, "schema"),
        ({"company": ANSWER["company"]}, "schema"),
    ],
    ids=["malformed-json", "determined-without-value", "missing-fields"],
)
def test_a_bad_answer_fails_the_lead_and_writes_nothing(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks, reply, words
):
    fake_ai.ok(reply, input_tokens=300, output_tokens=90)
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=two_leads[:1])
    item = items(paying, run)[0]
    assert item.status == "failed" and words in item.failure_reason.lower(), item.failure_reason
    assert item.fields == {} and item.applied_fields == []
    assert len(fake_ai.requests) == 1  # an invalid answer is not retried
    # the tokens it cost are still accounted for
    assert (item.input_tokens, item.output_tokens) == (300, 90) and item.cost > 0
    _untouched(paying, two_leads[0])
    assert balance(paying) == CREDIT


def test_one_failed_lead_does_not_break_the_batch_and_is_given_back(
    paying, fake_ai, django_capture_on_commit_callbacks
):
    ids = make_leads(paying, [{"email": f"p{n}@romashka.ru"} for n in range(3)])
    fake_ai.ok(ANSWER).bad_request("messages: prompt is too long").ok(ANSWER)
    with django_capture_on_commit_callbacks(execute=True):
        run = start(paying, lead_ids=ids)
    run = run_of(paying, run)
    assert [i.status for i in items(paying, run)] == ["enriched", "failed", "enriched"]
    assert (run.leads_enriched, run.leads_failed, run.status) == (2, 1, "done")
    assert "too long" in items(paying, run)[1].failure_reason
    [charge] = charges(paying)
    assert (charge.quantity, charge.refunded_quantity, charge.refunded_amount) == (3, 1, UNIT)
    assert balance(paying) == CREDIT - 2 * UNIT


def _queued_run(tenant, ids, django_capture_on_commit_callbacks):
    """Start a run but keep its tasks queued (the callbacks are returned, not run)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = start(tenant, lead_ids=ids)
    assert run.status == "running" and callbacks
    return run, callbacks


def _deliver(tenant, item_id):
    return enrich_lead_task.apply(args=(str(tenant.pk), item_id)).get()


def test_a_task_redelivered_after_its_worker_was_killed_writes_once_and_charges_once(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    item = items(paying, run)[0]
    # a worker claimed the row, then was killed before it wrote anything
    LeadEnrichment.objects.for_tenant(paying).filter(pk=item.pk).update(
        status="running", attempts=1
    )
    # when: the broker re-delivers the task, and (say) a duplicate arrives afterwards
    with django_capture_on_commit_callbacks(execute=True):
        first = _deliver(paying, item.pk)
        second = _deliver(paying, item.pk)
    # then
    assert (first, second) == ("enriched", "not_claimed")
    item = items(paying, run)[0]
    assert item.status == "enriched" and item.attempts == 2
    assert len(fake_ai.requests) == 1
    with tenant_scope(paying):
        assert TimelineEntry.objects.filter(lead_id=two_leads[0], kind="enriched").count() == 1
    run = run_of(paying, run)
    assert (run.leads_enriched, run.leads_done, run.status) == (1, 1, "done")
    assert len(charges(paying)) == 1 and balance(paying) == CREDIT - UNIT


def test_a_stale_attempt_that_lost_its_claim_writes_nothing(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    item = items(paying, run)[0]
    original = common.enrichment_client

    def client_that_gets_overtaken():
        # while this attempt waits for the model, a re-delivered task claims the row
        LeadEnrichment.objects.for_tenant(paying).filter(pk=item.pk).update(attempts=2)
        return original()

    common.enrichment_client = client_that_gets_overtaken
    try:
        with tenant_scope(paying):
            outcome = services.enrichment_item_process(paying, item.pk)
    finally:
        common.enrichment_client = original
    assert outcome == "superseded"
    assert items(paying, run)[0].status == "running"  # left to the attempt that owns it
    _untouched(paying, two_leads[0])
    assert run_of(paying, run).leads_done == 0


def test_a_lead_whose_worker_keeps_dying_fails_instead_of_looping(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    item = items(paying, run)[0]
    LeadEnrichment.objects.for_tenant(paying).filter(pk=item.pk).update(
        status="running", attempts=services.MAX_CLAIMS
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(paying, item.pk) == "failed"
    assert items(paying, run)[0].failure_reason.startswith("The worker stopped")
    assert fake_ai.requests == [] and run_of(paying, run).status == "done"
    assert balance(paying) == CREDIT


def test_a_lead_deleted_while_queued_is_skipped_and_given_back(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, callbacks = _queued_run(paying, two_leads, django_capture_on_commit_callbacks)
    with tenant_scope(paying):
        Lead.objects.filter(pk=two_leads[1]).delete()
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    run = run_of(paying, run)
    statuses = {i.status: i for i in items(paying, run)}
    assert statuses["skipped"].lead_id is None
    assert statuses["skipped"].failure_reason == "The lead was deleted."
    assert (run.leads_enriched, run.leads_skipped, run.status) == (1, 1, "done")
    assert len(fake_ai.requests) == 1
    assert balance(paying) == CREDIT - UNIT


def test_revoking_the_tool_mid_run_skips_the_remaining_leads(
    paying, fake_ai, django_capture_on_commit_callbacks
):
    ids = make_leads(paying, [{"email": f"p{n}@romashka.ru"} for n in range(3)])
    run, _callbacks = _queued_run(paying, ids, django_capture_on_commit_callbacks)
    first = items(paying, run)[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(paying, first.pk) == "enriched"
    # when: staff switch the tool off while the rest is queued
    tenant_feature_set(tenant=paying, feature="enrichment", mode="revoke", reason="abuse")
    with django_capture_on_commit_callbacks(execute=True):
        for item in items(paying, run)[1:]:
            result = _deliver(paying, item.pk)
            assert result["code"] == "feature_locked"
    # then
    run = run_of(paying, run)
    rows = items(paying, run)
    assert [i.status for i in rows] == ["enriched", "skipped", "skipped"]
    assert {i.failure_reason for i in rows[1:]} == {"The enrichment tool was switched off."}
    assert (run.leads_enriched, run.leads_skipped, run.status) == (1, 2, "done")
    assert len(fake_ai.requests) == 1
    assert balance(paying) == CREDIT - UNIT  # the skipped two are given back


def test_a_declined_card_declines_the_run_before_anything_is_enriched(
    enrichment_on, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    subscribe(enrichment_on, "pro")
    Subscription.objects.for_tenant(enrichment_on).filter(status="active").update(
        provider="sandbox", payment_method_id="sandbox_card_decline"
    )
    # when
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PaymentDeclined) as caught,
    ):
        start(enrichment_on, lead_ids=two_leads)
    # then
    assert "declined" in caught.value.message.lower()

    run = EnrichmentRun.objects.for_tenant(enrichment_on).get()
    assert caught.value.extra["run_id"] == str(run.pk)
    assert run.status == "declined" and run.failure_reason == caught.value.message
    assert (run.leads_skipped, run.leads_enriched, run.leads_done) == (2, 0, 2)
    assert {i.status for i in items(enrichment_on, run)} == {"skipped"}
    assert {i.failure_reason for i in items(enrichment_on, run)} == {caught.value.message}
    assert fake_ai.requests == [] and not callbacks
    for lead_id in two_leads:
        _untouched(enrichment_on, lead_id)


def test_no_credit_and_no_card_declines_the_run(enrichment_on, fake_ai, two_leads):
    with pytest.raises(PaymentMethodRequired):
        start(enrichment_on, lead_ids=two_leads)

    run = EnrichmentRun.objects.for_tenant(enrichment_on).get()
    assert run.status == "declined" and "card" in run.failure_reason
    assert fake_ai.requests == []


def test_a_lead_queued_in_a_live_run_is_not_taken_twice(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    _first, _callbacks = _queued_run(paying, two_leads, django_capture_on_commit_callbacks)
    second = start(paying, lead_ids=two_leads)
    assert second.leads_billable == 0 and second.status == "done"
    assert {i.failure_reason for i in items(paying, second)} == {
        "Already being enriched by another run."
    }
    assert len(charges(paying)) == 1


def test_no_slot_in_the_shared_rate_limit_hands_the_lead_back_for_later(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    item = items(paying, run)[0]
    # the shared budget is used up and no slot comes within the limiter's longest wait
    fake_ai.limiter = RateLimiter(
        requests_per_window=1, backend=CacheBackend(), namespace="full", max_wait_seconds=0
    )
    fake_ai.limiter.acquire("anthropic")
    with tenant_scope(paying):
        outcome = services.enrichment_item_process(paying, item.pk)
    assert outcome == services.RETRY_LATER
    item = items(paying, run)[0]
    assert (item.status, item.attempts) == ("pending", 0)  # queued again, claim handed back
    assert fake_ai.requests == [] and run_of(paying, run).leads_done == 0


def test_a_budget_that_cannot_be_checked_hands_the_lead_back_without_calling_the_ai(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks, redis_down, settings
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    item = items(paying, run)[0]
    # given Redis (where the shared AI budget lives) is down
    settings.AI_REQUESTS_PER_MINUTE = 10
    fake_ai.limiter = get_rate_limiter()
    with tenant_scope(paying):
        outcome = services.enrichment_item_process(paying, item.pk)
    # then no provider call, and the lead is queued again: not failed, not charged again
    assert outcome == services.RETRY_LATER
    item = items(paying, run)[0]
    assert (item.status, item.attempts, item.failure_reason) == ("pending", 0, "")
    assert fake_ai.requests == [] and run_of(paying, run).leads_done == 0
    assert len(charges(paying)) == 1  # the run's one authorisation, nothing more


def test_a_card_charge_timing_out_keeps_the_run_pending_until_the_beat_settles_it(
    enrichment_on, fake_ai, two_leads, monkeypatch, django_capture_on_commit_callbacks
):
    """The bank does not answer the card charge: its outcome is unknown, so the run is not
    declined (a new run would pay again) — it waits; the beat retries the same charge with
    the same key while the bank is down, then resumes the run once it answers."""

    subscription = subscribe(enrichment_on, "pro")
    Subscription.objects.for_tenant(enrichment_on).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id="sandbox_card_1"
    )
    calls = []

    class Flaky(SandboxGateway):
        down = True

        def charge_saved(self, request):
            calls.append(request.idempotency_key)
            if Flaky.down:
                raise ProviderError("read timeout", permanent=False)
            return super().charge_saved(request)

    monkeypatch.setattr("apps.payments.gateways.get_gateway", lambda name: Flaky())
    with pytest.raises(ProviderUnavailable) as caught:
        start(enrichment_on, lead_ids=two_leads)
    run = EnrichmentRun.objects.for_tenant(enrichment_on).get()
    assert caught.value.status_code == 503 and caught.value.extra["run_id"] == str(run.pk)
    assert run.status == "pending" and fake_ai.requests == []
    # a second run over the same leads takes none of them (they wait in the first one)
    with django_capture_on_commit_callbacks(execute=True):
        again = start(enrichment_on, lead_ids=two_leads)
    assert (again.status, again.leads_billable) == ("done", 0)

    later = timezone.now() + timedelta(minutes=10)
    assert services.enrichment_runs_recover_stale(now=later)["waiting"] == 1
    Flaky.down = False
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enrichment_runs_recover_stale(now=later)["resumed"] == 1
    run = run_of(enrichment_on, run)
    assert run.status == "done" and run.leads_done == 2
    assert Payment.objects.for_tenant(enrichment_on).filter(kind="usage").count() == 1
    assert len(set(calls)) == 1 and len(calls) == 3  # one payment, one key, three attempts


def _stale(tenant, run, *, charged: bool):
    """A process died around the authorization: the run is left pending, 20 minutes ago."""

    EnrichmentRun.objects.for_tenant(tenant).filter(pk=run.pk).update(
        status="pending",
        started_at=None,
        usage_charge=None,
        created_at=timezone.now() - timedelta(minutes=20),
    )
    LeadEnrichment.objects.for_tenant(tenant).filter(run=run).update(status="pending")
    if not charged:
        UsageCharge.objects.for_tenant(tenant).filter(reference=str(run.pk)).delete()


def test_a_run_left_pending_after_its_charge_went_through_is_resumed_by_the_beat(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    _stale(paying, run, charged=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enrichment_runs_recover_stale()["resumed"] == 1
    run = run_of(paying, run)
    assert (run.status, run.leads_enriched) == ("done", 1)
    assert len(charges(paying)) == 1 and balance(paying) == CREDIT - UNIT  # charged once
    assert services.enrichment_runs_recover_stale() == {"resumed": 0, "ended": 0, "waiting": 0}


def test_a_run_left_pending_before_any_charge_ends_declined_and_charges_nothing(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks
):
    run, _callbacks = _queued_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    _stale(paying, run, charged=False)
    assert services.enrichment_runs_recover_stale()["ended"] == 1
    run = run_of(paying, run)
    assert run.status == "declined" and "nothing was charged" in run.failure_reason
    assert [i.status for i in items(paying, run)] == ["skipped"]
    _untouched(paying, two_leads[0])
    assert fake_ai.requests == []


# --- a worker killed and its message lost: the beat queues the lead again -----------------


def test_a_lead_stuck_running_after_its_claim_deadline_is_queued_again_and_the_run_settles(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks, settings
):
    run, _callbacks = _queued_run(paying, two_leads, django_capture_on_commit_callbacks)
    stuck, fresh = items(paying, run)
    long_ago = timezone.now() - timedelta(seconds=settings.ENRICHMENT_CLAIM_TIMEOUT + 60)
    # a worker claimed one lead long ago and died; its message is gone (never redelivered)
    LeadEnrichment.objects.for_tenant(paying).filter(pk=stuck.pk).update(
        status="running", attempts=1, claimed_at=long_ago
    )
    # another worker claimed the other one a moment ago and is still working on it
    LeadEnrichment.objects.for_tenant(paying).filter(pk=fresh.pk).update(
        status="running", attempts=1, claimed_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = recover_stale_enrichment_runs_task.apply().get()

    # then only the stuck lead was queued again, and it was enriched once
    assert outcome["requeued"] == 1
    stuck, fresh = items(paying, run)
    assert (stuck.status, stuck.attempts) == ("enriched", 2)
    assert fresh.status == "running"  # left to its live worker
    assert len(fake_ai.requests) == 1


def test_a_lead_never_delivered_is_queued_again_once_its_run_is_old_enough(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks, settings
):
    # given a run whose queued messages were all lost (the callbacks never run)
    run, _callbacks = _queued_run(paying, two_leads, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_stale_enrichment_runs_task.apply().get()["requeued"] == 0  # too early
    long_ago = timezone.now() - timedelta(seconds=settings.ENRICHMENT_CLAIM_TIMEOUT + 60)
    EnrichmentRun.objects.unscoped().filter(pk=run.pk).update(started_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert recover_stale_enrichment_runs_task.apply().get()["requeued"] == 2

    run = run_of(paying, run)
    assert (run.status, run.leads_enriched) == ("done", 2)
    assert len(charges(paying)) == 1 and balance(paying) == CREDIT - 2 * UNIT
