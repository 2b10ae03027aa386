"""A real local HTTP receiver for the webhook tests, and a company with the webhooks tool."""

from __future__ import annotations

import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.billing.tests.helpers import private_cache, subscribe  # noqa: F401 (fixture)
from apps.integrations.tests.backfill_helpers import (  # noqa: F401 (fixtures of the backfill tests)
    connected,
    old_leads,
)
from apps.integrations.tests.crm_helpers import (  # noqa: F401 (fixtures of the CRM tests)
    amo,
    amo_tenant,
    bitrix,
    bitrix_tenant,
    crm_settings,
)


class Receiver:
    """Records every POST (headers, raw body) and answers the queued statuses, then 200."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: deque[int] = deque()
        self.always: int | None = None
        self.lock = threading.Lock()
        self.url = ""

    def answer(self) -> int:
        with self.lock:
            if self.statuses:
                return self.statuses.popleft()
            return self.always or 200

    def bodies(self) -> list[bytes]:
        return [body for _headers, body in self.requests]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.answer()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver error")

        def log_message(self, *args):
            return

    return Handler


@pytest.fixture
def receiver(settings):
    """A receiver on 127.0.0.1 (private targets allowed, as in tests and development)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def on_business(tenant):
    """The tenant on Business: the webhooks tool."""
    subscribe(tenant, "business")
    return tenant
