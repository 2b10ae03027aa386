"""Seed 003's scenarios through the events API: exactly the seed's messages, replays send
nothing, the audit explains every send and suppression in words."""

import pytest
from kombu.exceptions import OperationalError

from apps.core.tasks import send_mail_task
from apps.messaging.models import Message
from apps.messaging.rules.models import Decision, Event
from apps.tenants.scoping import tenant_scope


def _url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.pk}", *map(str, rest)]) + "/"


def _post(api, tenant, **event):
    event.setdefault("properties", {})
    return api.post(_url(tenant, "events"), event, format="json")


def _signup(api, tenant, user="u1", opt_in=True, at="2026-03-02T09:00:00Z", event_id="e1"):
    props = {"email": f"{user}@example.com", "phone": "+79991234567", "marketing_opt_in": opt_in}
    return _post(
        api,
        tenant,
        event_id=event_id,
        event_type="signup_completed",
        user_id=user,
        occurred_at=at,
        properties=props,
    )


def _outcomes(response) -> dict:
    return {d["rule"]: d["outcome"] for d in response.json()["decisions"]}


def _messages(tenant):
    with tenant_scope(tenant):
        return list(Message.objects.order_by("id").values_list("channel_kind", "subject"))


def test_welcome_email_once_per_user_and_replay_sends_nothing(operator_api, seed_pack):
    # when
    first = _signup(operator_api, seed_pack)
    replay = _signup(operator_api, seed_pack)
    again = _signup(operator_api, seed_pack, event_id="e2", at="2026-03-05T09:00:00Z")

    # then
    assert first.status_code == 201 and _outcomes(first) == {"WELCOME_EMAIL": "queued"}
    assert replay.status_code == 200 and replay.json()["status"] == "replayed"
    assert replay.json()["decisions"] == first.json()["decisions"]
    assert _outcomes(again) == {"WELCOME_EMAIL": "suppressed"}
    earlier = again.json()["decisions"][0]["earlier_decision_id"]
    assert earlier == first.json()["decisions"][0]["id"]
    assert _messages(seed_pack) == [("email", "Добро пожаловать в " + seed_pack.name)]


def test_no_opt_in_is_not_matched_with_the_actual_value(operator_api, seed_pack):
    response = _signup(operator_api, seed_pack, opt_in=False)

    decision = response.json()["decisions"][0]
    assert decision["outcome"] == "not_matched"
    assert "properties.marketing_opt_in = true" in decision["reason"]["en"]
    assert "actual value false" in decision["reason"]["en"]
    assert "фактическое значение false" in decision["reason"]["ru"]
    assert _messages(seed_pack) == []


def _bank_link(api, tenant, at, event_id="b1", user="u1"):
    return _post(
        api,
        tenant,
        event_id=event_id,
        event_type="link_bank_success",
        user_id=user,
        occurred_at=at,
    )


def test_bank_link_nudge_only_within_24_hours_after_signup(operator_api, seed_pack):
    _signup(operator_api, seed_pack, at="2026-03-02T09:00:00Z")

    late = _bank_link(operator_api, seed_pack, "2026-03-03T10:00:00Z", "b-late", user="u1")
    other = _signup(operator_api, seed_pack, user="u2", event_id="e-u2")
    timely = _bank_link(operator_api, seed_pack, "2026-03-02T20:00:00Z", "b-ok", user="u2")

    assert other.status_code == 201
    assert _outcomes(late) == {"BANK_LINK_NUDGE_SMS": "not_matched"}
    assert (
        "no signup_completed within 24 h before it" in late.json()["decisions"][0]["reason"]["en"]
    )
    assert _outcomes(timely) == {"BANK_LINK_NUDGE_SMS": "queued"}
    assert [kind for kind, _s in _messages(seed_pack)] == ["email", "email", "sms"]


def test_out_of_order_signup_makes_the_earlier_bank_link_match(operator_api, seed_pack):
    # given: the bank link arrives before the signup that preceded it
    early = _bank_link(operator_api, seed_pack, "2026-03-02T12:00:00Z")
    assert _outcomes(early) == {"BANK_LINK_NUDGE_SMS": "not_matched"}

    # when
    _signup(operator_api, seed_pack, at="2026-03-02T09:00:00Z")

    # then: evaluated by occurred_at, the nudge goes out
    with tenant_scope(seed_pack):
        decision = Decision.objects.get(rule__code="BANK_LINK_NUDGE_SMS")
    assert decision.outcome == "queued" and decision.message_id is not None


def _payment_failed(api, tenant, event_id, at, reason="INSUFFICIENT_FUNDS", attempt=1):
    props = {"failure_reason": reason, "attempt_number": attempt}
    return _post(
        api,
        tenant,
        event_id=event_id,
        event_type="payment_failed",
        user_id="u1",
        occurred_at=at,
        properties=props,
    )


def test_insufficient_funds_once_per_calendar_day_in_the_tenants_zone(operator_api, seed_pack):
    _signup(operator_api, seed_pack)
    # 20:00 and 22:30 UTC are 23:00 on the 2nd and 01:30 on the 3rd in Moscow.
    first = _payment_failed(operator_api, seed_pack, "p1", "2026-03-02T20:00:00Z")
    same_day = _payment_failed(operator_api, seed_pack, "p2", "2026-03-02T20:30:00Z")
    next_day = _payment_failed(operator_api, seed_pack, "p3", "2026-03-02T22:30:00Z")
    other_reason = _payment_failed(operator_api, seed_pack, "p4", "2026-03-04T10:00:00Z", "CARD")

    assert _outcomes(first)["INSUFFICIENT_FUNDS_EMAIL"] == "queued"
    assert _outcomes(same_day)["INSUFFICIENT_FUNDS_EMAIL"] == "suppressed"
    reason = same_day.json()["decisions"][0]["reason"]
    assert "once per subject a day, already done on 2026-03-02" in reason["en"]
    assert "раз в день" in reason["ru"]
    assert _outcomes(next_day)["INSUFFICIENT_FUNDS_EMAIL"] == "queued"
    assert _outcomes(other_reason)["INSUFFICIENT_FUNDS_EMAIL"] == "not_matched"


def test_high_risk_alert_emails_the_team_from_the_third_attempt(
    operator_api,
    seed_pack,
    admin_user,
    operator_user,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    _signup(operator_api, seed_pack)
    second = _payment_failed(operator_api, seed_pack, "p1", "2026-03-02T10:00:00Z", "CARD", 2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        third = _payment_failed(operator_api, seed_pack, "p2", "2026-03-02T11:00:00Z", "CARD", 3)

    assert _outcomes(second)["HIGH_RISK_ALERT"] == "not_matched"
    assert _outcomes(third)["HIGH_RISK_ALERT"] == "sent"
    alert_mails = [c for c in callbacks if "alert_hand_over" in c.__code__.co_names]
    for callback in alert_mails:
        callback()
    assert [sorted(m.to) for m in mailoutbox] == [sorted([admin_user.email, operator_user.email])]
    alert = next(d for d in third.json()["decisions"] if d["rule"] == "HIGH_RISK_ALERT")
    assert alert["reason"]["en"].endswith("matched; the team was alerted by e-mail.")
    assert [kind for kind, _s in _messages(seed_pack)] == ["email"]  # only the welcome


def _high_risk_alert_after_commit(api, pack, capture_on_commit):
    """The third failed attempt fires HIGH_RISK_ALERT; its after-commit work runs. Returns the
    third event's response and the alert's stored decision (read again after that work)."""
    _signup(api, pack)
    _payment_failed(api, pack, "p1", "2026-03-02T10:00:00Z", "CARD", 2)
    with capture_on_commit(execute=True):
        third = _payment_failed(api, pack, "p2", "2026-03-02T11:00:00Z", "CARD", 3)
    with tenant_scope(pack):
        return third, Decision.objects.get(rule__code="HIGH_RISK_ALERT", event__event_id="p2")


def test_an_alert_that_could_not_be_mailed_is_a_failure_in_the_audit(
    operator_api,
    analyst_api,
    seed_pack,
    admin_user,
    mail_server,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    third, stored = _high_risk_alert_after_commit(
        operator_api, seed_pack, django_capture_on_commit_callbacks
    )

    assert _outcomes(third)["HIGH_RISK_ALERT"] == "sent"  # handed to the worker at commit
    assert (stored.outcome, stored.reason, stored.dedup_key) == (
        "failed",
        "alert_undelivered",
        None,
    )
    assert mailoutbox == []
    events = analyst_api.get(_url(seed_pack, "audit", "u1")).json()["events"]
    alert = next(
        d
        for e in events
        if e["event_id"] == "p2"
        for d in e["decisions"]
        if d["outcome"] == "failed"
    )
    assert alert["reason"]["en"].endswith(
        "failed: the alert e-mail could not be sent (the mail server or the task queue "
        "stayed unavailable through every retry)."
    )


def test_an_alert_the_broker_could_not_take_is_a_failure_too(
    operator_api, seed_pack, admin_user, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_mail_task, "apply_async", broker_down)

    _third, stored = _high_risk_alert_after_commit(
        operator_api, seed_pack, django_capture_on_commit_callbacks
    )

    assert (stored.outcome, stored.reason) == ("failed", "alert_undelivered")
    assert mailoutbox == []


def test_the_audit_explains_each_send_and_suppression(operator_api, analyst_api, seed_pack):
    _signup(operator_api, seed_pack)
    _signup(operator_api, seed_pack, event_id="e2", at="2026-03-04T09:00:00Z")
    _payment_failed(operator_api, seed_pack, "p1", "2026-03-04T10:00:00Z")

    audit = analyst_api.get(_url(seed_pack, "audit", "u1"))

    assert audit.status_code == 200
    events = audit.json()["events"]
    assert [e["event_id"] for e in events] == ["e1", "e2", "p1"]
    reasons = [d["reason"]["en"] for e in events for d in e["decisions"]]
    assert reasons[0].startswith("Rule WELCOME_EMAIL (version 1): matched; the message was queued")
    assert "suppressed: once per subject, already done by decision" in reasons[1]
    assert all(d["reason"]["ru"] for e in events for d in e["decisions"])
    sent = analyst_api.get(_url(seed_pack, "messages"), {"subject": "u1"}).json()
    assert [row["rule"] for row in sent] == ["INSUFFICIENT_FUNDS_EMAIL", "WELCOME_EMAIL"]
    assert {row["message_status"] for row in sent} == {"queued"}


def test_marketing_without_consent_is_recorded_as_suppressed(operator_api, seed_pack):
    # the lead exists without consent and the event does not grant it
    _post(
        operator_api,
        seed_pack,
        event_id="x",
        event_type="profile",
        user_id="u9",
        occurred_at="2026-03-01T09:00:00Z",
        properties={"email": "u9@example.com"},
    )
    response = _post(
        operator_api,
        seed_pack,
        event_id="y",
        event_type="signup_completed",
        user_id="u9",
        occurred_at="2026-03-02T09:00:00Z",
        properties={"marketing_opt_in": True},
    )

    decision = response.json()["decisions"][0]
    assert decision["outcome"] == "suppressed" and decision["reason_code"] == "no_consent"
    assert "no consent to marketing" in decision["reason"]["en"]


def test_unknown_event_types_are_stored(operator_api, seed_pack):
    response = _post(
        operator_api,
        seed_pack,
        event_id="z",
        event_type="custom.thing",
        user_id="u1",
        occurred_at="2026-03-01T09:00:00Z",
    )

    assert response.status_code == 201 and response.json()["decisions"] == []
    with tenant_scope(seed_pack):
        assert Event.objects.filter(event_type="custom.thing").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_type": "a", "user_id": "u", "occurred_at": "2026-01-01T00:00:00Z"}, "event_id"),
        ({"event_id": "1", "event_type": "a", "occurred_at": "2026-01-01T00:00:00Z"}, "user_id"),
        ({"event_id": "1", "event_type": "a b", "user_id": "u", "occurred_at": "x"}, "event_type"),
        ({"event_id": "1", "event_type": "a", "user_id": "u", "occurred_at": "x"}, "occurred_at"),
        (
            {
                "event_id": "1",
                "event_type": "a",
                "lead_id": 999999,
                "occurred_at": "2026-01-01T00:00:00Z",
            },
            "lead_id",
        ),
    ],
)
def test_validation_errors_name_the_field(operator_api, seed_pack, body, field):
    response = operator_api.post(_url(seed_pack, "events"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
