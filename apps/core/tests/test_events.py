"""Domain events are logged by name with ids only; unknown names and personal data are refused."""

import logging

import pytest

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
