"""The inbound webhook on gunicorn (2 workers) under wrk, on 127.0.0.1.

Figure: p99 of POST /webhooks/channels/telegram/<token>/ — a Telegram update with the secret
header, a new message id each request: channel lookup by token, the secret check, parsing,
and the task queued on the `messaging` queue (Redis broker; no worker runs, the work waits
there and is purged after). Yardstick: a trivial Django view (no database) through the same
middleware on the same server, same run. Goal: webhook p99 < 50 ms.

Needs `wrk`. Standalone: `.venv/bin/python bench/bench_messaging_webhook.py`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from _common import ROOT, Summary, bench_environment, report, setup_django
from bench_leads_ingest import prepare_database
from bench_widget import _free_port, _wrk

BENCH_DIR = Path(__file__).resolve().parent
NAME = "messaging: inbound webhook p99 on gunicorn ×2 (wrk) vs a trivial view, ms"
DURATION = int(os.environ.get("BENCH_WEBHOOK_SECONDS", "6"))
ROUNDS = int(os.environ.get("BENCH_WEBHOOK_ROUNDS", "3"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVER_ENV = {
    "REDIS_URL": REDIS_URL,
    "CELERY_BROKER_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": "fastlead-bench",
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "300",
}
GOAL_MS = 50.0

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "%(secret)s"
local thread_id = tostring({}):sub(-6)
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"update_id":%%d,"message":{"message_id":%%d,"chat":{"id":"%%s%%d","type":"private"},'
    .. '"from":{"id":1,"first_name":"Bench"},"date":1764900000,"text":"Здравствуйте"}}',
    n, n, thread_id, os.time())
  return wrk.format(nil, nil, nil, body)
end
"""


def _trivial_view(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def server_app():
    """The project's WSGI app plus /bench/trivial (imported by gunicorn)."""
    import types

    for key, value in {**bench_environment(), **SERVER_ENV}.items():
        os.environ.setdefault(key, value)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path

    module = types.ModuleType("bench_webhook_urls")
    module.urlpatterns = [path("bench/trivial", _trivial_view), path("", include("fastlead.urls"))]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    return get_wsgi_application()


def _channel():
    from apps.channels.models import Channel, ChannelStatus
    from apps.tenants.models import Tenant
    from apps.tenants.scoping import tenant_scope

    suffix = uuid.uuid4().hex[:8]
    tenant = Tenant.objects.create(name=f"Bench hook {suffix}", slug=f"bench-hook-{suffix}")
    with tenant_scope(tenant):
        channel = Channel(
            tenant=tenant, kind="telegram", provider="telegram", name="Bench bot",
            status=ChannelStatus.CONNECTED,
        )  # fmt: skip
        channel.credentials = {"bot_token": "123:bench"}
        channel.save()
    return channel


def _start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, **bench_environment(), **SERVER_ENV}
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "bench_messaging_webhook:server_app()",
        "--pythonpath", f"{BENCH_DIR},{ROOT}", "--workers", "2",
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode()[-3000:]) from None
            time.sleep(0.3)  # waiting for the server to start, not a measured wait
    server.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def _purge_queue() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).delete("messaging")


def main() -> int:
    if not shutil.which("wrk"):
        report(NAME, figure="", figure_summary=None, yardstick="", yardstick_summary=None,
               status="skipped", note="wrk is not installed (apt-get install -y wrk)")  # fmt: skip
        return 0
    prepare_database()
    setup_django()
    channel = _channel()
    port = _free_port()
    server = _start_server(port)
    trivial = f"http://127.0.0.1:{port}/bench/trivial"
    hook = f"http://127.0.0.1:{port}/webhooks/channels/telegram/{channel.webhook_token}/"
    runs = {"trivial": [], "webhook": []}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA % {"secret": channel.webhook_token})
    try:
        for url, script in ((trivial, None), (hook, lua.name)):  # warm-up
            subprocess.run(["wrk", "-t1", "-c2", "-d2s", url] + (["-s", script] if script else []), capture_output=True, check=True)  # noqa: E501  # fmt: skip
        for _round in range(ROUNDS):
            runs["trivial"].append(_wrk(trivial, None, duration=DURATION, connections=4))
            runs["webhook"].append(_wrk(hook, lua.name, duration=DURATION, connections=4))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        Path(lua.name).unlink(missing_ok=True)
        _purge_queue()
    for kind, results in runs.items():
        for r in results:
            print(f"  {kind:8s} {r['rps']:8.1f} req/s  p99 {r['p99_ms']:7.1f} ms  "
                  f"{r['requests']} requests, non-2xx {r['non_2xx']}")  # fmt: skip
    hook_p99 = Summary.of([r["p99_ms"] for r in runs["webhook"]])
    trivial_p99 = Summary.of([r["p99_ms"] for r in runs["trivial"]])
    failed = sum(r["non_2xx"] for r in runs["webhook"])
    report(
        NAME,
        figure=f"webhook POST p99 (wrk -t2 -c4, {DURATION}s × {ROUNDS})",
        figure_summary=hook_p99,
        yardstick="trivial Django view (no database), same server, same run",
        yardstick_summary=trivial_p99,
        unit="ms",
        status="ok" if failed == 0 else "errors",
        goal=f"p99 < {GOAL_MS:.0f} ms",
        goal_met=hook_p99.median < GOAL_MS and failed == 0,
        note=f"non-2xx {failed}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
