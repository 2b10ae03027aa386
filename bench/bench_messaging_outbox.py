"""The outbox drained by 2 Celery workers against a fake Telegram answering in 200 ms.

Figure: messages/s from the first claim to the last send, for BENCH_OUTBOX_MESSAGES (1,000)
messages queued through `queue_message` in one transaction; 2 worker processes on the
`messaging` queue (thread pool, BENCH_OUTBOX_THREADS each), Redis as the broker. The fake
provider is a local HTTP server speaking the Bot API's sendMessage answer after 200 ms.
Yardstick: the provider's own limit for the same concurrency (threads × 2 / 0.2 s). Goal:
≥ 30 messages/s, every message sent once.

Standalone: `.venv/bin/python bench/bench_messaging_outbox.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _common import ROOT, Summary, bench_environment, report, setup_django
from bench_leads_ingest import prepare_database

BENCH_DIR = Path(__file__).resolve().parent
NAME = "messaging: outbox drained by 2 workers, fake provider at 200 ms, messages/s"
MESSAGES = int(os.environ.get("BENCH_OUTBOX_MESSAGES", "1000"))
THREADS = int(os.environ.get("BENCH_OUTBOX_THREADS", "16"))
PROVIDER_DELAY = 0.2
# A Telegram send the Bot API accepted is stored "delivered" (no receipts follow).
DONE = ("sent", "delivered")
WAITING = ("queued", "sending")  # anything else is final (failed, unknown: never re-sent)
GOAL = 30.0
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVER_ENV = {"REDIS_URL": REDIS_URL, "CELERY_BROKER_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}


class FakeTelegram(BaseHTTPRequestHandler):
    calls = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(PROVIDER_DELAY)  # the provider's answer time being simulated
        with FakeTelegram.lock:
            FakeTelegram.calls += 1
            message_id = FakeTelegram.calls
        body = json.dumps({"ok": True, "result": {"message_id": message_id}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FakeProviderServer(ThreadingHTTPServer):
    # socketserver's listen backlog is 5, for 32 sending threads. Once a send failed with a
    # ReadError: the message became "unknown" (rightly: never re-sent) and the bench waited on
    # it until its deadline. A real provider takes 32 connections at once.
    request_queue_size = 128


def worker(api_url: str) -> None:
    """One Celery worker process on the messaging queue, its Telegram calls to the fake."""
    for key, value in {**bench_environment(), **SERVER_ENV}.items():
        os.environ.setdefault(key, value)
    setup_django()
    from apps.channels.providers import telegram

    telegram.API = api_url
    from fastlead.celery import app

    app.worker_main(
        ["worker", "-Q", "messaging", "-P", "threads", "-c", str(THREADS), "-l", "warning",
         "--without-gossip", "--without-mingle", "--without-heartbeat"]
    )  # fmt: skip


def _queue_messages() -> tuple[object, list[int]]:
    from django.db import transaction

    from apps.channels.models import Channel, ChannelStatus
    from apps.leads.identity import identity_key
    from apps.leads.models import Lead
    from apps.messaging.addresses import remember_address
    from apps.messaging.outbox import queue_message
    from apps.tenants.models import Tenant
    from apps.tenants.scoping import tenant_scope

    suffix = uuid.uuid4().hex[:8]
    tenant = Tenant.objects.create(name=f"Bench outbox {suffix}", slug=f"bench-outbox-{suffix}")
    ids = []
    with tenant_scope(tenant), transaction.atomic():
        channel = Channel(
            tenant=tenant, kind="telegram", provider="telegram", name="Bench bot",
            status=ChannelStatus.CONNECTED,
        )  # fmt: skip
        channel.credentials = {"bot_token": "123:bench"}
        channel.save()
        lead = Lead.objects.create(
            tenant=tenant, person_key="id:bench", source="telegram",
            identity_key=identity_key(person="id:bench", customer_id=None, product_id=None),
        )  # fmt: skip
        remember_address(tenant, lead, "telegram", "5")
        for n in range(MESSAGES):
            message = queue_message(
                tenant=tenant, lead=lead, body=f"Сообщение {n}", idempotency_key=f"bench-{n}"
            )
            ids.append(message.pk)
    return tenant, ids


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return 0
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    prepare_database()
    setup_django()
    from django.db.models import Count, Max, Min

    from apps.messaging.models import Message

    server = FakeProviderServer(("127.0.0.1", 0), FakeTelegram)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api_url = f"http://127.0.0.1:{server.server_address[1]}"
    env = {**os.environ, **bench_environment(), **SERVER_ENV}
    _tenant, ids = _queue_messages()  # queued in Redis, no worker yet
    command = [sys.executable, __file__, "--worker", api_url]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for _ in range(2)
    ]
    try:
        deadline = time.time() + max(300, MESSAGES)
        while time.time() < deadline:
            left = Message.objects.unscoped().filter(pk__in=ids, status__in=WAITING).count()
            if not left:
                break
            time.sleep(1)  # polling the drain, not a measured wait
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=60)
        server.shutdown()
    stats = (
        Message.objects.unscoped()
        .filter(pk__in=ids, status__in=DONE)
        .aggregate(n=Count("id"), first=Min("sending_at"), last=Max("sent_at"))
    )
    seconds = (stats["last"] - stats["first"]).total_seconds() if stats["n"] else float("inf")
    rate = stats["n"] / seconds if stats["n"] else 0.0
    limit = 2 * THREADS / PROVIDER_DELAY
    print(
        f"  sent {stats['n']} of {MESSAGES} in {seconds:.1f} s; provider calls {FakeTelegram.calls}"
    )
    report(
        NAME,
        figure=f"{MESSAGES} messages, 2 workers × {THREADS} threads, messages/s",
        figure_summary=Summary(n=1, median=rate, p95=rate, mean=rate),
        yardstick="the fake provider's limit at that concurrency (2 × threads / 0.2 s)",
        yardstick_summary=Summary(n=1, median=limit, p95=limit, mean=limit),
        unit="msg/s",
        status="ok" if stats["n"] == MESSAGES and FakeTelegram.calls == MESSAGES else "errors",
        goal=f"≥ {GOAL:.0f} messages/s, each sent once",
        goal_met=rate >= GOAL and FakeTelegram.calls == MESSAGES,
        note=f"provider calls {FakeTelegram.calls} for {MESSAGES} messages",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
