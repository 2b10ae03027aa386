"""Limits, delays, quiet hours, versions and the platform's own events."""

from datetime import time, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.leads.services import lead_update
from apps.messaging.models import Message
from apps.messaging.rules import services
from apps.messaging.rules.authoring import rule_save, template_save
from apps.messaging.rules.engine import quiet_end
from apps.messaging.rules.models import Decision, Event, Rule, RuleVersion
from apps.messaging.rules.packs import pack_install
from apps.messaging.rules.tests.helpers import AT, lead_make, sms_rule
from apps.messaging.suppression import suppress
from apps.tenants.scoping import tenant_scope


@pytest.fixture
def scope(rules_tenant):
    with tenant_scope(rules_tenant):
        yield rules_tenant


def _record(tenant, lead, event_id, at=AT, event_type="lead.created", **kwargs):
    return services.event_record(
        tenant=tenant,
        event_id=event_id,
        event_type=event_type,
        occurred_at=at,
        lead=lead,
        **kwargs,
    )


def test_delayed_rule_is_evaluated_when_due_against_the_lead_then(scope):
    # given: "SMS a lead not answered in 2 hours", two new leads
    sms_rule(scope, delay_minutes=120)
    answered, waiting = lead_make(scope, "+79990000001"), lead_make(scope, "+79990000002")
    created = timezone.now() - timedelta(minutes=5)
    for lead in (answered, waiting):
        result = _record(scope, lead, f"c{lead.pk}", at=created)
        assert [d.outcome for d in result.decisions] == ["scheduled"]
    answered.first_contact_at = created + timedelta(minutes=30)
    answered.save(update_fields=["first_contact_at"])

    # when: the beat runs before and after the due time
    assert services.decisions_run_due(now=created + timedelta(minutes=119)) == 0
    assert services.decisions_run_due(now=created + timedelta(hours=2, minutes=1)) == 2
    assert services.decisions_run_due(now=created + timedelta(hours=3)) == 0

    # then
    outcomes = dict(Decision.objects.values_list("lead_id", "outcome"))
    assert outcomes == {answered.pk: "not_matched", waiting.pk: "queued"}
    assert list(Message.objects.values_list("lead_id", "channel_kind")) == [(waiting.pk, "sms")]


def test_a_future_delay_is_scheduled_not_sent(scope):
    sms_rule(scope, delay_minutes=120)
    lead = lead_make(scope)

    result = services.event_record(
        tenant=scope,
        event_id="now",
        event_type="lead.created",
        occurred_at=services.timezone.now(),
        lead=lead,
    )

    assert [d.outcome for d in result.decisions] == ["scheduled"]
    assert not Message.objects.exists()


def test_quiet_hours_defer_to_their_end_in_the_tenants_zone(scope):
    rule = sms_rule(scope, quiet_start=time(21), quiet_end=time(9))
    # 20:00 UTC = 23:00 in Moscow: quiet until 09:00 Moscow = 06:00 UTC next day.
    late = AT.replace(hour=20)
    assert quiet_end(rule.current, "Europe/Moscow", late) == AT.replace(day=3, hour=6)
    assert quiet_end(rule.current, "Europe/Moscow", AT.replace(hour=12)) is None

    decision = services.event_record(
        tenant=scope,
        event_id="q",
        event_type="lead.created",
        occurred_at=late,
        lead=lead_make(scope),
    ).decisions[0]
    if decision.outcome == "scheduled":  # outside the quiet hours at the real clock it sends
        assert decision.reason == "quiet_hours"
        services.decisions_run_due(now=decision.due_at + timedelta(seconds=1))
        decision.refresh_from_db()
    assert decision.outcome == "queued" and Message.objects.count() == 1


def test_at_most_n_per_window_names_the_earlier_decision(scope):
    sms_rule(scope, once_per="", max_count=2, window_hours=24)
    lead = lead_make(scope)

    outcomes = [
        _record(scope, lead, f"w{i}", at=AT + timedelta(hours=i)).decisions[0] for i in range(3)
    ]
    later = _record(scope, lead, "w9", at=AT + timedelta(hours=30)).decisions[0]

    assert [d.outcome for d in outcomes] == ["queued", "queued", "suppressed"]
    assert outcomes[2].reason == "limit_window" and outcomes[2].earlier_id == outcomes[1].pk
    assert later.outcome == "queued"


def test_an_edit_makes_a_new_version_and_decisions_keep_theirs(scope):
    rule = sms_rule(scope, once_per="")
    lead = lead_make(scope)
    first = _record(scope, lead, "v1").decisions[0]

    rule = rule_save(
        tenant=scope,
        rule=rule,
        code=rule.code,
        **{
            **{f: getattr(rule.current, f) for f in ("trigger", "action", "template", "channel")},
            "conditions": {"field": "lead.status", "op": "eq", "value": "won"},
        },
    )
    same = rule_save(
        tenant=scope,
        rule=rule,
        code=rule.code,
        name="Renamed",
        **{
            **{f: getattr(rule.current, f) for f in ("trigger", "action", "template", "channel")},
            "conditions": {"field": "lead.status", "op": "eq", "value": "won"},
        },
    )
    second = _record(scope, lead, "v2").decisions[0]

    assert same.current.number == 2 and RuleVersion.objects.filter(rule=rule).count() == 2
    assert (first.version.number, first.outcome) == (1, "queued")
    assert (second.version.number, second.outcome) == (2, "not_matched")


def test_saving_an_invalid_rule_names_every_field(scope):
    with pytest.raises(ValidationFailed) as caught:
        rule_save(
            tenant=scope,
            code="BAD",
            name="Bad",
            trigger="",
            action="send",
            conditions={"all": [{"field": "properties.x", "op": "~"}]},
            max_count=3,
            delay_minutes=-5,
        )

    assert set(caught.value.fields) == {
        "trigger",
        "template",
        "channel",
        "window_hours",
        "delay_minutes",
        "conditions.all[0].op",
    }


def test_a_template_variable_nothing_can_fill_fails_at_save(scope):
    with pytest.raises(ValidationFailed) as caught:
        template_save(
            tenant=scope,
            key="t",
            name="T",
            body_ru="{{ lead.salary }} {{ properties.a }}",
            body_en="{{ properties.amount }}",
            sample_properties={"amount": 5},
        )

    assert set(caught.value.fields) == {"body_ru"}
    assert "lead.salary" in caught.value.fields["body_ru"][0]


def test_lifecycle_pack_installs_switched_off_and_twice_changes_nothing(scope):
    first = pack_install(tenant=scope, key="lifecycle")
    again = pack_install(tenant=scope, key="lifecycle")

    assert [r.code for r in first] == [
        "LEAD_WELCOME",
        "LEAD_NUDGE_UNANSWERED",
        "LEAD_WIN_BACK",
        "MEETING_REMINDER",
    ]
    assert [r.pk for r in again] == [r.pk for r in first]
    assert not any(r.enabled for r in first)


def test_meeting_reminder_is_due_two_hours_before_the_meeting(scope):
    pack_install(tenant=scope, key="lifecycle")

    Rule.objects.filter(code="MEETING_REMINDER").update(enabled=True)
    starts = timezone.now() + timedelta(days=2)
    lead = lead_make(scope)

    result = _record(
        scope,
        lead,
        "m1",
        at=services.timezone.now(),
        event_type="meeting.booked",
        properties={"starts_at": starts.isoformat(), "booking_id": "b1"},
    )

    decision = result.decisions[0]
    assert decision.outcome == "scheduled" and decision.due_at == starts - timedelta(hours=2)


def test_platform_events_feed_the_pipeline(scope, django_capture_on_commit_callbacks, admin_user):
    sms_rule(scope)
    sends = mock.patch("apps.messaging.outbox.send_message_task")  # no provider call
    with sends, django_capture_on_commit_callbacks(execute=True):
        lead = lead_make(scope)
    with sends, django_capture_on_commit_callbacks(execute=True):
        lead_update(tenant=scope, actor=admin_user, lead_id=lead.pk, changes={"status": "lost"})

    types = list(Event.objects.order_by("id").values_list("event_type", "source"))
    assert types == [("lead.created", "internal"), ("lead.status_changed", "internal")]
    decision = Decision.objects.get()
    assert (decision.lead_id, decision.outcome) == (lead.pk, "queued")


def test_a_company_with_rules_and_decisions_can_be_deleted(scope):
    sms_rule(scope)
    _record(scope, lead_make(scope), "gone")

    scope.delete()

    assert not Decision.objects.unscoped().exists()
    assert not RuleVersion.objects.unscoped().exists()


def _batch_queries(tenant, leads, size, prefix):
    items = [
        {
            "event_id": f"{prefix}{n}",
            "event_type": "page_view",
            "lead": leads[n % len(leads)],
            "occurred_at": AT + timedelta(minutes=n),
            "properties": {"score": n},
        }
        for n in range(size)
    ]
    with CaptureQueriesContext(connection) as queries:
        results = services.event_record_batch(tenant=tenant, items=items)
    assert {r.status for r in results} == {"accepted"}
    return len(queries), results


def test_a_batch_reads_and_writes_in_a_constant_number_of_queries(scope):
    # given: rules with a look-back, a window and a "once a day" limit (nothing sends)
    for code, extra in (
        ("LOOK", {"conditions": {"event": "signup", "within_hours": 24}}),
        ("WINDOW", {"once_per": "", "max_count": 1, "window_hours": 2}),
        (
            "DAY",
            {
                "once_per": "day",
                "conditions": {"field": "properties.score", "op": "gt", "value": 10**6},
            },
        ),
    ):
        sms_rule(
            scope,
            code=code,
            trigger="page_view",
            **{"conditions": {"field": "properties.score", "op": "lt", "value": 0}, **extra},
        )
    leads = [lead_make(scope, f"+7999000{n:04d}") for n in range(5)]

    # when: a batch of 5 and a batch of 20 events (SQLite splits bulk inserts past 999
    # parameters, so both stay under that)
    small, _results = _batch_queries(scope, leads, 5, "s")
    large, results = _batch_queries(scope, leads, 20, "l")

    # then: the same number of queries (no query per event or per rule), every decision stored
    assert large == small
    assert Decision.objects.filter(event__event_id__startswith="l").count() == 60
    assert {d.outcome for r in results for d in r.decisions} == {"not_matched"}


def test_a_batch_that_sends_queues_its_messages_in_a_constant_number_of_queries(scope):
    # given: a rule that sends on every event, and in each group of leads one opted out
    sms_rule(
        scope,
        code="EVERY",
        trigger="page_view",
        once_per="",
        conditions={"field": "properties.score", "op": "gte", "value": 0},
    )
    leads = [lead_make(scope, f"+7999000{n:04d}") for n in range(10)]
    suppress(scope, "sms", leads[0].phone)
    suppress(scope, "sms", leads[5].phone)

    # when: a batch of 5 events and one of 20, to different leads
    small, _results = _batch_queries(scope, leads[:5], 5, "s")
    large, results = _batch_queries(scope, leads[5:], 20, "l")

    # then: the same number of queries; each send's message stored, keyed by its decision,
    # the opted-out lead's decisions suppressed as one at a time would have them
    assert large == small
    decisions = [d for r in results for d in r.decisions]
    sent = [d for d in decisions if d.lead_id != leads[5].pk]
    assert {d.outcome for d in sent} == {"queued"} and len(sent) == 16
    stored = dict(
        Decision.objects.filter(pk__in=[d.pk for d in sent]).values_list("pk", "message_id")
    )
    messages = Message.objects.filter(pk__in=stored.values())
    assert {m.idempotency_key for m in messages} == {f"rule-decision:{pk}" for pk in stored}
    assert {m.source_ref for m in messages} == {str(pk) for pk in stored}
    refused = Decision.objects.filter(lead=leads[5])
    assert {(d.outcome, d.reason, d.message_id) for d in refused} == {
        ("suppressed", "opted_out", None)
    }
    assert refused.count() == 4
