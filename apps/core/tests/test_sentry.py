"""Errors reach Sentry when SENTRY_DSN is set, without personal data (HTTP-level fake)."""

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.test import Client
from django.urls import path

from fastlead import urls as project_urls
from fastlead.observability import init_sentry


class _FakeSentry(BaseHTTPRequestHandler):
    envelopes: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body.decode())
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        return


def _boom(request):
    raise RuntimeError("kaboom in a view")


urlpatterns = [path("boom/", _boom), *project_urls.urlpatterns]


@pytest.fixture
def fake_sentry():
    _FakeSentry.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://public@127.0.0.1:{server.server_port}/1"
    sentry_sdk.init()  # no DSN: reporting off again
    server.shutdown()


def test_a_view_error_is_reported_without_personal_data(fake_sentry, settings, db):
    settings.ROOT_URLCONF = __name__
    assert init_sentry(fake_sentry, environment="test", release="r1", traces_sample_rate=0.0)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "secret-session"
    client.get("/boom/?email=ivan@example.com", HTTP_AUTHORIZATION="Bearer secret-token")
    sentry_sdk.flush(timeout=10)
    sent = "\n".join(_FakeSentry.envelopes)
    assert "kaboom in a view" in sent and "RuntimeError" in sent
    for secret in ("secret-session", "secret-token", "ivan@example.com"):
        assert secret not in sent


def test_no_dsn_means_nothing_is_initialised():
    assert init_sentry("", environment="test", release="", traces_sample_rate=0.0) is False
