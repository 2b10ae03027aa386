"""In headless Chromium at 375 px and on a desktop: the "Каналы" page fits the phone's width,
a connect form opens, and "Test connection" replaces the row in place (HTMX) with the SMTP
server's refusal. Screenshots go to /tmp/shots/."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.billing.tests.helpers import subscribe
from apps.channels.models import Channel
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from conftest import closed_port
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-channels")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "start")
    with tenant_scope(tenant):
        channel = Channel(
            tenant=tenant,
            kind="email",
            provider="smtp",
            name="Почта продаж",
            settings={"host": "127.0.0.1", "port": str(closed_port()), "from_email": "a@b.test"},
        )
        channel.credentials = {"username": "sales@romashka.test", "password": "pw-secret-9876"}
        channel.save()
    return tenant, admin


@pytest.fixture
def browser(live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_channels_page(company, live_server, browser, label, viewport):
    tenant, admin = company
    path = f"/t/{tenant.slug}/channels/"
    context = browser.new_context(locale="ru-RU", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))

    assert "pw-secret" not in page.content()
    expect(page.get_by_text("••••9876")).to_be_visible()
    page.get_by_role("button", name="Проверить подключение").click()
    expect(page.locator(".channels-table .badge-danger")).to_have_text("Ошибка")
    # edit the connected channel in place: a new name, the stored password kept
    page.locator("details.channel-edit summary").first.click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"channels-edit-{label}.png"), full_page=True)
    edit = page.locator("details.channel-edit form").first
    edit.get_by_label("Имя", exact=True).fill("Почта поддержки")
    edit.get_by_role("button", name="Сохранить и проверить").click()
    expect(page.get_by_text("Канал «Почта поддержки» сохранён.")).to_be_visible()
    assert "pw-secret" not in page.content()
    page.locator("details.connect-provider summary").first.click()
    page.screenshot(path=str(SHOTS / f"channels-{label}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
