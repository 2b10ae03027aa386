"""End to end in headless Chromium: an administrator changes the widget's title, colour and
required fields in the dashboard's configurator, and the widget embedded on the company's site
shows them; a site that is not allowed yet gets a clear console message and a neutral text.
Screenshots (desktop and 375 px) go to /tmp/shots/."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect, sync_playwright

from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS, log_in
from tests.browser.test_widget_embed import host_site, open_host_page
from tests.factories import MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def shop(transactional_db, live_server):
    tenant = TenantFactory(name="Acme", slug="acme", allowed_origins=[host_site(live_server)])
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    return tenant, admin, publishable_key_get_or_create(tenant).key


@pytest.fixture
def chromium(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, width: int = 1280):
    context = browser.new_context(
        locale="ru-RU", viewport={"width": width, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append((message.type, message.text)))
    return page


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_configurator_changes_show_in_the_embedded_widget(chromium, live_server, shop):
    tenant, admin, key = shop
    page = new_page(chromium)
    log_in(page, live_server, admin.email, f"/t/{tenant.slug}/widget/")
    expect(page.locator("#widget-config-form")).to_be_visible()
    # when the administrator changes the title, the colour and makes the name required
    page.fill("#id_title_ru", "Напишите нам")
    page.fill("#id_primary_color", "#cc0000")
    page.select_option("#id_field_name", "required")
    page.select_option("#id_field_message", "hidden")
    page.fill("#id_policy_url", "https://shop.example/privacy")
    page.get_by_role("button", name="Сохранить виджет").click()
    expect(page.get_by_text("Настройки виджета сохранены (версия 2).")).to_be_visible()
    # then the preview shows the saved widget
    preview = page.frame_locator("#widget-preview")
    expect(preview.get_by_role("heading", name="Напишите нам")).to_be_visible()
    shoot(page, "widget-configurator-desktop")
    page.set_viewport_size({"width": 375, "height": 812})
    shoot(page, "widget-configurator-375")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375

    # and so does the widget on the company's site
    site = new_page(chromium, 390)
    open_host_page(site, live_server, key)
    expect(site.get_by_role("heading", name="Напишите нам")).to_be_visible()
    button = site.get_by_role("button", name="Отправить")
    color = button.evaluate("node => getComputedStyle(node).backgroundColor")
    assert color == "rgb(204, 0, 0)"
    expect(site.get_by_label("Имя")).to_have_attribute("aria-required", "true")
    expect(site.locator('textarea[name="message"]')).to_have_count(0)
    expect(
        site.get_by_role("link", name="Политика обработки персональных данных")
    ).to_have_attribute("href", "https://shop.example/privacy")
    # a visitor who leaves the required name empty is told so next to the field
    site.get_by_label("E-mail").fill("anna@example.com")
    site.locator('input[name="consents.processing"]').check()
    button.click()
    expect(site.get_by_label("Имя")).to_have_attribute("aria-invalid", "true")
    site.get_by_label("Имя").fill("Анна")
    button.click()
    expect(site.get_by_role("status")).to_contain_text("Спасибо")


def test_a_site_not_allowed_yet_is_told_what_is_wrong(chromium, live_server, shop):
    tenant, _admin, key = shop
    tenant.allowed_origins = ["https://elsewhere.example"]
    tenant.save()

    cache.clear()
    site = new_page(chromium, 390)
    open_host_page(site, live_server, key, lang="en")
    expect(site.locator(".fl-widget")).to_contain_text("not available on this page")
    errors = [text for kind, text in site.console_messages if kind == "error"]
    assert any("is not allowed to use the widget" in text and key in text for text in errors)
    assert not any("try again" in text.lower() for text in errors)
