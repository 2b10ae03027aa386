"""/healthz answers while the process lives; /readyz checks the database, cache and broker."""

import socket

import pytest

from apps.core import health
from fastlead.celery import app


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_every_check_ok_on_the_configured_stack(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_stays_ready_but_degraded_naming_the_broker_when_it_is_unreachable(client, settings):
    # given: the broker URL points at a closed local port
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    # when
    response = client.get("/readyz")

    # then: the pod still serves (pages, API and widget work without Redis), degraded
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


@pytest.mark.django_db
def test_readyz_stays_ready_but_degraded_naming_the_cache_when_it_fails(client, monkeypatch):
    class DownCache:
        def set(self, *args, **kwargs):
            raise ConnectionError("cache down")

    monkeypatch.setattr(health, "cache", DownCache())

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    checks = response.json()["checks"]
    assert checks["cache"] == {"ok": False, "error": "ConnectionError"}
    assert checks["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_fails(client, monkeypatch):
    def database_down():
        raise ConnectionError("database down")

    monkeypatch.setitem(health.CHECKS, "database", database_down)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == {"ok": False, "error": "ConnectionError"}


@pytest.mark.django_db
def test_readyz_does_not_leak_exception_details(client, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-password@127.0.0.1:{_closed_port()}/0"

    response = client.get("/readyz")

    assert response.json()["checks"]["broker"]["ok"] is False
    assert b"s3cret-password" not in response.content


# --- /metrics is for Prometheus only ---------------------------------------------------------


def test_metrics_answer_a_scraper_on_this_machine_when_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert b"django_http_requests" in response.content


def test_metrics_are_hidden_from_the_network_when_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    # a remote client, and one that claims loopback through a proxy header
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    spoofed = client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert spoofed.status_code == 404


def test_metrics_with_a_token_need_that_bearer_token(client, settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"

    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", REMOTE_ADDR="203.0.113.9")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    right = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789", REMOTE_ADDR="203.0.113.9"
    )
    assert right.status_code == 200
    assert b"django_http_requests" in right.content


@pytest.mark.django_db  # importing every tasks module lets Celery's Django fixup touch the db
def test_a_killed_workers_task_comes_back_before_any_task_could_still_be_running(settings):
    # the broker re-delivers an unacknowledged message after the visibility timeout: it must
    # outlast the longest task (else a live task would run twice); short enrichment work is
    # recovered sooner by the beat (its claim timeout)

    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == visibility
    limits = [settings.CELERY_TASK_TIME_LIMIT] + [
        task.time_limit for task in app.tasks.values() if getattr(task, "time_limit", None)
    ]
    longest = settings.CELERY_LONGEST_TASK_TIME_LIMIT
    assert max(limits) == longest < visibility
    assert settings.CELERY_TASK_TIME_LIMIT < settings.ENRICHMENT_CLAIM_TIMEOUT < visibility
