"""In headless Chromium, on a phone (375 px) and a desktop: an admin adds a webhook endpoint
(the secret is shown once), sends a test event, and sees the signed delivery arrive at a local
receiver and show in the delivery log as delivered with its 200. Screenshots in /tmp/shots/."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from apps.billing.tests.helpers import subscribe
from apps.integrations.models import WebhookEndpoint
from apps.integrations.signing import signature_verify
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    seen: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-hooks")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "business")
    return tenant, admin


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_add_endpoint_send_test_event_see_it_delivered(
    company,
    receiver,
    live_server,
    chromium,  # noqa: F811
    label,
    viewport,
):
    tenant, admin = company
    url, seen = receiver
    path = f"/t/{tenant.slug}/webhooks/"
    context = chromium.new_context(locale="ru-RU", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))

    page.fill('input[name="url"]', url)
    page.get_by_label("Лид создан").check()
    page.get_by_role("button", name="Добавить вебхук").click()
    secret_box = page.locator("#webhook-secret code")
    expect(secret_box).to_contain_text("whsec_")
    secret = secret_box.inner_text().strip()
    with tenant_scope(tenant):
        assert WebhookEndpoint.objects.get().secret == secret
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"webhooks-{label}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_role("link", name="Доставки").first.click()
    page.get_by_role("button", name="Отправить тестовое событие").click()
    row = page.locator(".deliveries-table tbody tr").first
    expect(row).to_contain_text("webhook.test")
    expect(row.locator(".badge")).to_have_text("Доставлено")
    expect(row.locator(".status-code")).to_have_text("200")
    page.screenshot(path=str(SHOTS / f"webhook-log-{label}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # the row says delivered: the receiver stored the request before it answered 200
    headers, body = seen[0]
    assert signature_verify(secret, headers["fastlead-signature"], body, now=int(time.time()))
    assert json.loads(body)["type"] == "webhook.test"
    context.close()
