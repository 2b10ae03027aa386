"""OpenTelemetry (issue #23, fastlead/tracing.py): off without an endpoint; with one, a
request, its database query and an outgoing httpx call arrive as spans at an OTLP/HTTP
collector (a local fake reading the protobuf), with no personal data in them. Runs in a
subprocess: instrumentation patches Django, psycopg and httpx for the whole process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from fastlead.tracing import init_tracing, scrub_url

ROOT = Path(__file__).resolve().parent.parent
CANARY = "anna.canary@example.com"

SCRIPT = f"""
import httpx
from fastlead.wsgi import application  # starts tracing, as gunicorn would
from django.test import Client
from fastlead.tracing import flush_tracing

client = Client()
ready = client.get("/readyz?email={CANARY}")  # reads the database
assert ready.status_code == 200, ready.content
client.get("/t/{CANARY}/leads/")
httpx.get(COLLECTOR + "/ping?email={CANARY}")
flush_tracing()
"""


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            _Collector.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def do_GET(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_without_an_endpoint_nothing_is_instrumented(settings):
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = ""
    assert init_tracing("fastlead-web") is False


def test_urls_lose_their_query_and_any_segment_with_an_address():
    assert scrub_url("https://x.example/t/a@b.ru/leads/?q=a@b.ru#f") == (
        "https://x.example/t/[redacted]/leads/"
    )
    assert scrub_url("/healthz?email=a@b.ru") == "/healthz"


def test_spans_reach_the_collector_without_personal_data(collector, tmp_path, db):
    on_postgres = connection.vendor == "postgresql"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fastlead.settings",
        "DJANGO_DEBUG": "1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector,
        "FASTLEAD_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if on_postgres:  # the test database: it exists (the configured one may not, locally)
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    script = f"COLLECTOR = {json.dumps(collector)}\n{SCRIPT}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]

    spans = []
    for body in _Collector.received:
        assert CANARY.encode() not in body
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}[
                "service.name"
            ]
            for scope_spans in resource_spans.scope_spans:
                spans += [(service, scope_spans.scope.name, s.name) for s in scope_spans.spans]
    scopes = {scope for _service, scope, _name in spans}
    assert {service for service, _scope, _name in spans} == {"fastlead-web"}
    assert "opentelemetry.instrumentation.django" in scopes, spans
    assert "opentelemetry.instrumentation.httpx" in scopes, spans
    assert any(name.startswith("GET") for _s, _scope, name in spans)
    if on_postgres:
        assert "opentelemetry.instrumentation.psycopg" in scopes, spans
