"""A tiny scripted HTTP server on 127.0.0.1 for exercising the real vendor SDKs.

The vendor SDKs send through `httpx2`, which respx cannot intercept, so the tests (and the
benchmark) point the SDK's base URL at this server instead. Replies are scripted per test
(`enqueue`); when the script is empty a default reply is built from the request. Every request
is recorded with its arrival time. Optionally the server enforces its own sliding-window
request limit and answers 429 above it, like a provider would.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow provider, a timeout)


@dataclass
class Recorded:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        rate_limit: tuple[int, float] | None = None,
    ):
        self.latency = latency
        self.rate_limit = rate_limit  # (requests, window seconds) enforced on arrivals
        self.script: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.limit_violations = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting -------------------------------------------------------------------
    def enqueue(self, *replies: Reply) -> ScriptedServer:
        self.script.extend(replies)
        return self

    def default_reply(self, request: Recorded) -> Reply:
        raise AssertionError(f"{type(self).__name__} must define default_reply()")

    def handle(self, request: Recorded) -> Reply:
        """Validate the request and pick the reply; subclasses check auth and paths."""
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.default_reply(request)

    def over_limit_reply(self, retry_after: float) -> Reply:
        return Reply(429, {"error": "rate limited"}, {"retry-after": f"{retry_after:.3f}"})

    # --- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ScriptedServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- measurement -----------------------------------------------------------------
    def arrivals(self) -> list[float]:
        return sorted(r.at for r in self.requests)

    def max_in_window(self, window: float) -> int:
        """The most requests that arrived within any `window` seconds."""
        times, best, start = self.arrivals(), 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _record(self, recorded: Recorded) -> Reply | None:
        with self._lock:
            self.requests.append(recorded)
            if self.rate_limit is None:
                return None
            limit, window = self.rate_limit
            recent = [r.at for r in self.requests if recorded.at - r.at < window]
            if len(recent) > limit:
                self.limit_violations += 1
                self.requests.pop()
                return self.over_limit_reply(window - (recorded.at - min(recent)))
        return None


def _make_handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed ACK)

        def log_message(self, *args) -> None:  # keep test output quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            recorded = Recorded(
                at=time.monotonic(),
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            reply = server._record(recorded) or server.handle(recorded)
            delay = reply.delay + server.latency
            if delay:
                time.sleep(delay)
            self._send(reply)

        def _send(self, reply: Reply) -> None:
            payload = reply.body
            if isinstance(payload, (dict, list)):
                data, ctype = json.dumps(payload).encode(), "application/json"
            elif isinstance(payload, str):
                data, ctype = payload.encode(), "application/json"
            else:
                data, ctype = payload or b"", "application/json"
            try:
                self.send_response(reply.status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler
