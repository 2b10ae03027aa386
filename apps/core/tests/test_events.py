"""Domain events are logged by name with ids only; unknown names and personal data are refused."""

import pytest
from structlog.testing import capture_logs

from apps.core.events import DOMAIN_EVENTS, log_event


def test_log_event_logs_a_known_event_with_its_ids():
    with capture_logs() as logs:
        log_event("tenant_created", tenant_id="t-1", user_id=7)

    assert logs == [
        {
            "event": "tenant_created",
            "event_type": "domain",
            "tenant_id": "t-1",
            "user_id": 7,
            "log_level": "info",
        }
    ]


def test_log_event_knows_the_seed_events():
    assert {"user_registered", "tenant_created", "payment_failed"} <= DOMAIN_EVENTS


def test_log_event_rejects_an_unknown_event():
    with capture_logs() as logs, pytest.raises(ValueError, match="Unknown domain event"):
        log_event("tenant_exploded", tenant_id="t-1")

    assert logs == []


@pytest.mark.parametrize("field", ["email", "phone", "name", "first_name", "body", "ip"])
def test_log_event_rejects_personal_data_fields(field):
    with capture_logs() as logs, pytest.raises(ValueError, match="personal data"):
        log_event("user_registered", user_id=1, **{field: "x"})

    assert logs == []
