"""In headless Chromium at 375 px: the admin connects e-mail through SendGrid on "Каналы" by
typing an API key. A wrong key shows SendGrid's own words and the channel is not connected;
the right key (changed through the API, as the page has no edit form) tested again shows
"Подключён", and the row tells where to paste the webhook URL. SendGrid is a local fake
speaking its v3 API. Screenshot: /tmp/shots/channels-sendgrid-phone.png."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.billing.tests.helpers import subscribe
from apps.channels.models import Channel
from apps.channels.providers import sendgrid
from apps.channels.tests.fake_sendgrid import API_KEY, UNAUTHORIZED, FakeSendGrid
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-sendgrid")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "start")
    return tenant, admin


@pytest.fixture
def chromium(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_connect_sendgrid_wrong_key_then_connected(
    company, live_server, chromium, monkeypatch, settings
):
    tenant, admin = company
    settings.SITE_URL = live_server.url
    with FakeSendGrid() as fake:
        monkeypatch.setattr(sendgrid, "API", fake.url)
        context = chromium.new_context(locale="ru-RU", viewport=PHONE)
        context.set_default_timeout(20_000)
        page = context.new_page()
        path = f"/t/{tenant.slug}/channels/"
        page.goto(f"{live_server.url}/accounts/login/?next={path}")
        page.fill('input[name="login"]', admin.email)
        page.fill('input[name="password"]', PASSWORD)
        page.press('input[name="password"]', "Enter")
        expect(page).to_have_url(re.compile(re.escape(path)))

        # a wrong key: SendGrid's own message, not connected
        page.locator("details.connect-provider summary", has_text="SendGrid").click()
        page.fill('input[name="sendgrid-cred_api_key"]', "SG.wrong-key-0000")
        page.fill('input[name="sendgrid-set_from_email"]', "sales@romashka.example")
        page.locator("details.connect-provider[open] button[type=submit]").click()
        row = page.locator(".channels-table tr", has_text="SendGrid")
        expect(row.locator(".badge-danger")).to_have_text("Ошибка")
        expect(row.locator(".field-error")).to_have_text(UNAUTHORIZED)
        channel = Channel.objects.unscoped().get(tenant=tenant)
        assert channel.status == "error"

        # the right key, then "Test connection": connected, and where the webhooks go
        channel.credentials = {"api_key": API_KEY}
        channel.save()
        row.get_by_role("button", name="Проверить подключение").click()
        expect(row.locator(".badge-success")).to_have_text("Подключён")
        row.locator("details.channel-webhook summary").click()
        expect(row.locator(".channel-webhook-url")).to_have_text(channel.webhook_url)
        assert "SG.wrong" not in page.content() and API_KEY not in page.content()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "channels-sendgrid-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        context.close()
