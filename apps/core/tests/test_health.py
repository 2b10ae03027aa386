"""/healthz answers while the process lives; /readyz checks the database, cache and broker."""

import socket

import pytest

from apps.core import health


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
def test_readyz_answers_503_naming_the_broker_when_it_is_unreachable(client, settings):
    # given: the broker URL points at a closed local port
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_cache_when_it_fails(client, monkeypatch):
    class DownCache:
        def set(self, *args, **kwargs):
            raise ConnectionError("cache down")

    monkeypatch.setattr(health, "cache", DownCache())

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"] == {"ok": False, "error": "ConnectionError"}
    assert checks["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_does_not_leak_exception_details(client, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-password@127.0.0.1:{_closed_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
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
