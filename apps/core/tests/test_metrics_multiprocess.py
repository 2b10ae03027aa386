"""/metrics answers for every worker process, not only the one that took the scrape."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redis
from django.conf import settings

from apps.core import metrics
from conftest import closed_port

ROOT = Path(settings.BASE_DIR)

# A separate process (another gunicorn worker) serves requests through Django's test client.
_WORKER = textwrap.dedent(
    """
    import os, sys, django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fastlead.settings")
    django.setup()
    from django.test import Client
    client = Client()
    for _ in range(int(sys.argv[1])):
        client.get("/healthz", REMOTE_ADDR="127.0.0.1")
    """
)


def _served_by_another_process(count: int, directory: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "DJANGO_DEBUG": "true"}
    env.pop("DATABASE_URL", None)  # /healthz touches no database
    subprocess.run(
        [sys.executable, "-c", _WORKER, str(count)], cwd=ROOT, env=env, check=True, timeout=120
    )


def _requests_total(text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("django_http_requests_total_by_view_transport_method_total{")
        and 'view="healthz"' in line
    )


def test_one_scrape_sums_the_samples_of_every_worker(tmp_path, monkeypatch, client):
    _served_by_another_process(3, tmp_path)
    _served_by_another_process(4, tmp_path)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert _requests_total(response.content.decode()) == 7


def test_without_the_directory_a_scrape_reports_this_process(client, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    client.get("/healthz", REMOTE_ADDR="127.0.0.1")
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert _requests_total(text) >= 1


def test_queue_lengths_come_from_the_redis_broker(settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis (REDIS_URL): queue lengths are Redis list lengths")

    settings.CELERY_BROKER_URL = url
    client = redis.Redis.from_url(url)
    client.delete("ai")
    client.rpush("ai", "one", "two")
    try:
        assert metrics.queue_lengths()["ai"] == 2
    finally:
        client.delete("ai")


def test_queue_lengths_are_absent_when_the_broker_is_down(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    assert metrics.queue_lengths() == {}


def test_gunicorn_marks_an_exited_worker_dead(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    live = tmp_path / "gauge_livesum_4242.db"
    live.write_bytes(b"")
    config: dict = {"__file__": str(ROOT / "gunicorn.conf.py")}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config)
    config["child_exit"](None, type("Worker", (), {"pid": 4242})())
    assert not live.exists()


@pytest.mark.django_db
def test_scrape_time_collectors_are_reported_in_multiprocess_mode_too(
    tmp_path, monkeypatch, client
):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "fastlead_celery_queue_length" in text  # core's own collector
    assert "fastlead_mrr_minor" in text  # analytics registers its business gauges here
