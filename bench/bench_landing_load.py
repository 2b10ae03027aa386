"""The public landing page's load time in headless Chromium with a cold cache (seed 001 NFR:
landing p95 < 2 s).

Figure: navigation timing of GET / in Debian's chromium through Playwright — from the start
of navigation to the end of the load event (HTML, CSS, JS, images), each load in a fresh
browser context (empty HTTP cache, no cookies), from gunicorn (2 workers, production
settings, whitenoise for static files) on 127.0.0.1. Yardstick, in the same run and server: a
static HTML file of the same size as the landing page (no CSS, no scripts), served by
whitenoise. Loads alternate (yardstick, landing) ROUNDS times. Goal: landing p95 < 2000 ms.

Needs /usr/bin/chromium. Standalone: `.venv/bin/python bench/bench_landing_load.py`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _common import ROOT, Summary, bench_environment, report, setup_django
from cryptography.fernet import Fernet

BENCH_DIR = Path(__file__).resolve().parent
NAME = "landing: GET / cold-cache load in headless Chromium vs same-size static HTML, ms"
ROUNDS = int(os.environ.get("BENCH_LANDING_ROUNDS", "20"))
CHROMIUM = Path("/usr/bin/chromium")
YARDSTICK = "bench/landing-yardstick.html"
GOAL_MS = 2000.0

SERVER_ENV = {
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "300",
    # Production settings refuse to start without signing keys; the bench makes throwaway ones.
    "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(48),
    "JWT_SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY") or secrets.token_urlsafe(48),
    "FIELD_ENCRYPTION_KEYS": (
        os.environ.get("FIELD_ENCRYPTION_KEYS") or Fernet.generate_key().decode()
    ),
}

NAVIGATION_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const bytes = performance.getEntriesByType("resource").reduce((s, r) => s + r.transferSize, 0);
  return {load: nav.loadEventEnd - nav.startTime, html: nav.transferSize, resources: bytes};
}"""


def _prepare() -> int:
    """Static files collected, the yardstick written next to them with the landing's size;
    returns that size in bytes."""
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)
    body = Client().get("/").content
    target = Path(settings.STATIC_ROOT) / YARDSTICK
    target.parent.mkdir(parents=True, exist_ok=True)
    head = b'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>y</title>'
    head += b"</head><body><h1>Yardstick</h1><!--"
    tail = b"--></body></html>"
    target.write_bytes(head + b"x" * max(0, len(body) - len(head) - len(tail)) + tail)
    return len(body)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, **bench_environment(), **SERVER_ENV}
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "fastlead.wsgi:application",
        "--pythonpath", str(ROOT),
        "--workers", "2",
        "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
        "--access-logfile", "/dev/null",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode()[-3000:]) from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def _cold_load(browser, url: str) -> dict:
    context = browser.new_context(locale="ru-RU", viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            raise SystemExit(f"{url} answered {response and response.status}")
        return page.evaluate(NAVIGATION_JS)
    finally:
        context.close()


def main() -> int:
    if not CHROMIUM.exists():
        report(NAME, figure="", figure_summary=None, yardstick="", yardstick_summary=None,
               status="skipped", note="needs /usr/bin/chromium")  # fmt: skip
        return 0
    from playwright.sync_api import sync_playwright

    size = _prepare()
    port = _free_port()
    server = _start_server(port)
    base = f"http://127.0.0.1:{port}"
    landing, yardstick, last = [], [], {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
            )
            _cold_load(browser, f"{base}/")  # warm the server's processes, not the browser
            for _round in range(ROUNDS):
                yardstick.append(_cold_load(browser, f"{base}/static/{YARDSTICK}")["load"])
                last = _cold_load(browser, f"{base}/")
                landing.append(last["load"])
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    figure = Summary.of(landing)
    report(
        NAME,
        figure=f"GET / (HTML {size} B, then CSS/JS/images), load event, fresh context each",
        figure_summary=figure,
        yardstick=f"static HTML of {size} B through whitenoise, load event",
        yardstick_summary=Summary.of(yardstick),
        note=f"landing transfers {last.get('html', 0)} B of HTML and "
        f"{last.get('resources', 0)} B of subresources per cold load",
        goal=f"landing p95 < {GOAL_MS:.0f} ms",
        goal_met=figure.p95 < GOAL_MS,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
