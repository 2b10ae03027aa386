"""Domain events are logged by name with ids only; unknown names and personal data are refused."""

import logging
from dataclasses import dataclass

import pytest
from django.db import transaction

from apps.core import events
from apps.core.events import DOMAIN_EVENTS, log_event


@pytest.fixture
def event_logs(caplog):
    """The structlog event dicts logged on fastlead.events (as handed to the JSON renderer)."""
    caplog.set_level(logging.INFO, logger="fastlead.events")
    return lambda: [r.msg for r in caplog.records if r.name == "fastlead.events"]


def test_log_event_logs_a_known_event_with_its_ids(event_logs):
    log_event("tenant_created", tenant_id="t-1", user_id=7)

    [logged] = event_logs()
    assert logged["event"] == "tenant_created"
    assert logged["event_type"] == "domain"
    assert logged["tenant_id"] == "t-1"
    assert logged["user_id"] == 7
    assert logged["level"] == "info"


def test_log_event_knows_the_seed_events():
    assert {"user_registered", "tenant_created", "payment_failed"} <= DOMAIN_EVENTS


def test_log_event_rejects_an_unknown_event(event_logs):
    with pytest.raises(ValueError, match="Unknown domain event"):
        log_event("tenant_exploded", tenant_id="t-1")

    assert event_logs() == []


@pytest.mark.parametrize("field", ["email", "phone", "name", "first_name", "body", "ip"])
def test_log_event_rejects_personal_data_fields(field, event_logs):
    with pytest.raises(ValueError, match="personal data"):
        log_event("user_registered", user_id=1, **{field: "x"})

    assert event_logs() == []


# --- the dispatcher ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Probe(events.DomainEvent):
    name = "tenant_updated"
    tenant_id: str


@pytest.fixture
def probe_handlers(monkeypatch):
    monkeypatch.setattr(events, "_in_transaction", events.defaultdict(list))
    monkeypatch.setattr(events, "_after_commit", events.defaultdict(list))
    seen = []
    return seen


@pytest.mark.django_db
def test_emit_delivers_in_transaction_subscribers_at_once_and_others_on_commit(
    probe_handlers, django_capture_on_commit_callbacks
):
    seen = probe_handlers
    events.subscribe(_Probe, lambda e: seen.append(("now", e.tenant_id)), in_transaction=True)
    events.subscribe(_Probe, lambda e: seen.append(("after", e.tenant_id)))

    with django_capture_on_commit_callbacks(execute=True):
        events.emit(_Probe(tenant_id="t-1"))
        assert seen == [("now", "t-1")]

    assert seen == [("now", "t-1"), ("after", "t-1")]


@pytest.mark.django_db(transaction=True)
def test_after_commit_subscribers_never_see_rolled_back_work(probe_handlers):
    seen = probe_handlers
    events.subscribe(_Probe, lambda e: seen.append(e.tenant_id))

    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(_Probe(tenant_id="t-2"))
        raise RuntimeError("rolled back")

    assert seen == []


def test_subscribe_twice_delivers_once_and_refuses_non_events(probe_handlers):
    seen = probe_handlers

    def handler(e):
        seen.append(e)

    events.subscribe(_Probe, handler, in_transaction=True)
    events.subscribe(_Probe, handler, in_transaction=True)
    assert events.subscribers(_Probe) == [handler]
    with pytest.raises(TypeError):
        events.subscribe(dict, handler)


def test_emit_logs_the_event_with_its_fields(probe_handlers, event_logs):
    events.emit(_Probe(tenant_id="t-3"))

    [logged] = event_logs()
    assert logged["event"] == "tenant_updated"
    assert logged["tenant_id"] == "t-3"


@pytest.mark.django_db
def test_a_failing_after_commit_subscriber_does_not_stop_the_others(
    probe_handlers, django_capture_on_commit_callbacks
):
    seen = probe_handlers

    def broken(event):
        raise RuntimeError("subscriber down")

    events.subscribe(_Probe, broken)
    events.subscribe(_Probe, lambda e: seen.append(e.tenant_id))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events.emit(_Probe(tenant_id="t-4"))

    assert len(callbacks) == 1  # one delivery per event, every subscriber inside it
    assert seen == ["t-4"]
