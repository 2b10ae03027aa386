"""Structured JSON logs: a correlation id per request and per task, and no personal data."""

import io
import json
import logging

import pytest
import structlog
from celery import shared_task
from django_structlog.celery.receivers import CeleryReceiver
from django_structlog.celery.steps import DjangoStructLogInitStep

from fastlead.celery import app
from fastlead.logging import configure_logging, drop_pii, scrub_url_text

task_logger = structlog.get_logger("fastlead.tests.logging")


@shared_task(name="core.tests.log_inside_task")
def log_inside_task(marker: str) -> None:
    task_logger.info("inside_task", marker=marker)


class JsonLogCapture:
    """Every log line rendered exactly as production renders it (JSON), one dict per line."""

    def __init__(self):
        config = configure_logging("INFO", "json")["formatters"]["structured"]
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(
            config["()"](
                processor=config["processor"], foreign_pre_chain=config["foreign_pre_chain"]
            )
        )

    def attach(self) -> None:
        """(Re)attach to the root logger: a worker start re-applies settings.LOGGING."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)

    def __call__(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_log_lines():
    capture = JsonLogCapture()
    capture.attach()
    yield capture
    logging.getLogger().removeHandler(capture.handler)


def _events(lines: list[dict], name: str) -> list[dict]:
    return [line for line in lines if line.get("event") == name]


def test_request_logs_carry_one_request_id_returned_as_x_request_id(client, json_log_lines):
    response = client.get("/healthz")

    started = _events(json_log_lines(), "request_started")
    finished = _events(json_log_lines(), "request_finished")
    assert len(started) == len(finished) == 1
    request_id = finished[0]["request_id"]
    assert request_id
    assert started[0]["request_id"] == request_id
    assert finished[0]["code"] == 200
    assert response["X-Request-ID"] == request_id


def test_each_request_gets_its_own_request_id(client, json_log_lines):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert first != second
    ids = {line["request_id"] for line in _events(json_log_lines(), "request_finished")}
    assert ids == {first, second}


def test_request_logs_hold_no_client_ip(client, json_log_lines):
    client.get("/healthz", REMOTE_ADDR="203.0.113.7")

    assert "203.0.113.7" not in json.dumps(json_log_lines())


@pytest.mark.django_db
def test_task_logs_carry_its_task_id(json_log_lines):
    # given: the task runs through Celery's tracer (task_prerun/postrun signals fire, as in a
    # worker), without a broker: an in-process worker is flaky next to other suites

    assert DjangoStructLogInitStep in app.steps["worker"]  # what a worker runs at boot
    receiver = CeleryReceiver()
    receiver.connect_worker_signals()
    json_log_lines.attach()
    # when
    result = log_inside_task.apply(args=("m-1",), task_id="task-123")

    # then
    inside = _events(json_log_lines(), "inside_task")
    assert result.successful()
    assert inside, "the task did not log"
    assert inside[0]["task_id"] == "task-123"
    assert inside[0]["marker"] == "m-1"


@pytest.mark.parametrize(
    "key", ["email", "phone", "name", "first_name", "last_name", "body", "password", "ip"]
)
def test_scrubber_redacts_personal_data_keys(key):
    event = drop_pii(None, "info", {"event": "x", key: "ivan@example.com", "lead_id": 5})

    assert event[key] == "[redacted]"
    assert event["lead_id"] == 5


def test_personal_data_never_reaches_a_json_log_line(json_log_lines):
    structlog.get_logger("fastlead.tests").info(
        "lead_received", lead_id=9, email="ivan@example.com", phone="+79990001122", name="Иван"
    )
    logging.getLogger("fastlead.tests.stdlib").info("plain stdlib line")

    lines = json_log_lines()
    rendered = json.dumps(lines, ensure_ascii=False)
    assert "ivan@example.com" not in rendered
    assert "+79990001122" not in rendered
    assert "Иван" not in rendered
    lead_line = _events(lines, "lead_received")[0]
    assert lead_line["lead_id"] == 9
    assert lead_line["email"] == "[redacted]"
    assert _events(lines, "plain stdlib line")


# --- URLs in the request log ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        (
            "GET /t/acme/leads/?q=ivan%40example.com&page=2",
            "GET /t/acme/leads/?q=[redacted]&page=2",
        ),
        (
            "GET /api/v1/x/?search=+79990001122&status=new",
            "GET /api/v1/x/?search=[redacted]&status=new",
        ),
        (
            "GET /accounts/password/reset/key/3-abc-123/",
            "GET /accounts/password/reset/key/[redacted]/",
        ),
        ("GET /accounts/confirm-email/MTI:1t9:xyz/", "GET /accounts/confirm-email/[redacted]/"),
        ("POST /invitations/tok_Secret-123/", "POST /invitations/[redacted]/"),
        ("GET /invitations/resume/", "GET /invitations/resume/"),
        (
            "Not Found: /no-such-page/ivan.petrov@example.com/",
            "Not Found: /no-such-page/[redacted]/",
        ),
        ("GET /x/ivan%40example.com/?page=2", "GET /x/[redacted]/?page=2"),
        ("GET /t/acme/leads/", "GET /t/acme/leads/"),
    ],
)
def test_scrub_url_text_keeps_the_route_and_drops_secrets_and_searches(raw, logged):
    assert scrub_url_text(raw) == logged


@pytest.mark.django_db
def test_searches_reset_keys_and_invitation_tokens_never_reach_the_request_log(
    client, json_log_lines
):
    client.get("/api/v1/me?q=canary.person%40example.com&page=3")
    client.get("/accounts/password/reset/key/7-canary-reset-key/")
    client.get("/invitations/canary-invitation-token/")
    client.get("/accounts/confirm-email/canary-confirm-key/")

    rendered = json.dumps(json_log_lines())
    for secret in ("canary.person", "canary-reset-key", "canary-invitation", "canary-confirm"):
        assert secret not in rendered, secret
    assert "/api/v1/me?q=[redacted]&page=3" in rendered  # the route stays readable


def test_an_event_below_its_loggers_level_runs_no_processor():
    """filter_by_level comes first: an event the level drops is not time-stamped or scrubbed."""
    seen = []

    def spy(_logger, _method, event_dict):
        seen.append(event_dict["event"])
        return event_dict

    processors = structlog.get_config()["processors"]
    stdlib_logger = logging.getLogger("tests.below_level")
    stdlib_logger.setLevel(logging.WARNING)
    structlog.configure(processors=[processors[0], spy, *processors[1:]])
    try:
        log = structlog.get_logger("tests.below_level")
        log.info("not wanted")
        log.warning("wanted")
    finally:
        structlog.configure(processors=processors)
        stdlib_logger.setLevel(logging.NOTSET)
    assert seen == ["wanted"]
