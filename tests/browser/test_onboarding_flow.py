"""End to end in headless Chromium, as a new user would: sign up → confirm → the onboarding
wizard (company, widget basics with the live preview updating before saving, channel and
calendar skipped, the snippet) → the snippet on a plain local HTML page served by
http.server on another origin → a visitor's request → "your first lead has arrived" in the
wizard (HTMX poll). And the conflict screen: two admins, the second saving an old version.
Screenshots (desktop and 375 px) go to /tmp/shots/."""

import functools
import http.server
import re
import threading

import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.leads.models import Lead, WidgetConfig
from apps.tenants.models import Tenant
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, log_in
from tests.browser.test_widget_configurator import chromium, new_page, shoot  # noqa: F401
from tests.factories import MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def plain_site(tmp_path):
    """A customer's plain static site: http.server on 127.0.0.1 (another origin than the
    live server's localhost, still loopback so Chromium lets it load the script)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def sign_up(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill('input[name="name"]', "Анна Петрова")
    page.fill('input[name="company"]', "Ромашка")
    page.fill('input[name="email"]', "anna@example.com")
    page.fill('input[name="password1"]', "a-long-Secret-42")
    page.get_by_role("button", name="Регистрация").click()
    page.get_by_role("heading", name="Проверьте почту").wait_for()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Подтвердить").click()


def test_sign_up_wizard_snippet_on_a_plain_page_and_the_first_lead(
    chromium,  # noqa: F811 (the fixture imported above)
    live_server,
    plain_site,
    settings,
):
    settings.SITE_URL = live_server.url  # the snippet points at this server
    folder, site = plain_site
    page = new_page(chromium)
    # given a new user who signs up and confirms
    sign_up(page, live_server)
    # then the wizard opens at the company step
    expect(page).to_have_url(re.compile(r"/t/romashka/welcome/company/$"))
    page.get_by_label("Ваш сайт").fill(site)
    page.get_by_label("Часовой пояс").select_option("Asia/Yekaterinburg")
    shoot(page, "onboarding-company-desktop")
    page.get_by_role("button", name="Сохранить и продолжить").click()

    # the widget step: the preview shows a change before it is saved
    expect(page).to_have_url(re.compile(r"/welcome/widget/$"))
    preview = page.frame_locator("#widget-preview")
    expect(preview.get_by_role("heading", name="Оставьте заявку")).to_be_visible()
    page.get_by_label("Заголовок (русский)").fill("Закажите букет")
    expect(preview.get_by_role("heading", name="Закажите букет")).to_be_visible()
    tenant = Tenant.objects.get(slug="romashka")
    assert not WidgetConfig.objects.unscoped().filter(tenant=tenant).exists()  # not saved yet
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()  # the phone layout as it loads (not the drawer mid-transition)
    page.get_by_label("Заголовок (русский)").fill("Закажите букет")
    expect(preview.get_by_role("heading", name="Закажите букет")).to_be_visible()
    shoot(page, "onboarding-widget-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Сохранить и продолжить").click()

    # channel and calendar skipped; the snippet copied onto the customer's plain page
    expect(page).to_have_url(re.compile(r"/welcome/channel/$"))
    page.get_by_role("button", name="Пропустить").click()
    expect(page).to_have_url(re.compile(r"/welcome/calendar/$"))
    page.get_by_role("button", name="Пропустить").click()
    expect(page).to_have_url(re.compile(r"/welcome/snippet/$"))
    snippet = page.locator("#widget-snippet").inner_text()
    (folder / "index.html").write_text(
        '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Ромашка</title>'
        "<style>*{color:lime!important;font-size:40px!important}form,input{display:none}</style>"
        f"</head><body><h1>Цветы</h1>{snippet}</body></html>",
        encoding="utf-8",
    )
    page.get_by_role("button", name="Код на сайте, дальше").click()
    expect(page).to_have_url(re.compile(r"/welcome/test/$"))
    expect(page.get_by_text("Ждём заявку из виджета…")).to_be_visible()

    # a visitor on the plain page: the host's hostile CSS does not reach the widget
    visitor = new_page(chromium, 375)
    visitor.goto(f"{site}/index.html")
    expect(visitor.get_by_role("heading", name="Закажите букет")).to_be_visible()
    title_color = visitor.get_by_role("heading", name="Закажите букет").evaluate(
        "node => getComputedStyle(node).color"
    )
    assert title_color != "rgb(0, 255, 0)"
    label_size = visitor.locator("label.fl-label").first.evaluate(
        "node => getComputedStyle(node).fontSize"
    )
    assert label_size == "15.2px"  # the host's 40px root size does not scale the widget
    visitor.get_by_label("Имя").fill("Олег")
    visitor.get_by_label("E-mail").fill("oleg@example.com")
    visitor.locator('input[name="consents.processing"]').check()
    shoot(visitor, "onboarding-plain-site-375")
    visitor.get_by_role("button", name="Отправить").click()
    expect(visitor.get_by_role("status").filter(has_text="Спасибо")).to_be_visible()

    # then the wizard says the first lead has arrived, and the lead is in the company
    expect(page.get_by_text("Ваша первая заявка пришла!")).to_be_visible()
    expect(page.locator("#demo-status")).to_contain_text("Олег")
    with tenant_scope(tenant):
        lead = Lead.objects.get(email="oleg@example.com")
        assert lead.actions.get().metadata["page_url"].startswith(site)
    page.get_by_role("button", name="Завершить").click()
    expect(page.get_by_role("heading", name="Короткий обзор")).to_be_visible()
    expect(page.get_by_text("Мастер настройки: 6 из 6 шагов")).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    shoot(page, "onboarding-overview-tour-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_second_admin_saving_an_old_version_sees_the_conflict_screen(
    chromium,  # noqa: F811 (the fixture imported above)
    live_server,
    transactional_db,
):
    tenant = TenantFactory(name="Acme", slug="acme")
    first = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    second = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    page_one, page_two = new_page(chromium), new_page(chromium, 375)
    # given both admins opened the widget settings at version 1
    log_in(page_one, live_server, first.email, f"/t/{tenant.slug}/widget/")
    log_in(page_two, live_server, second.email, f"/t/{tenant.slug}/widget/")
    expect(page_two.locator("#widget-config-form")).to_be_visible()
    # when the first saves
    page_one.fill("#id_title_ru", "Заголовок первого")
    page_one.get_by_role("button", name="Сохранить виджет").click()
    expect(page_one.get_by_text("Настройки виджета сохранены (версия 2).")).to_be_visible()
    # and the second saves the old version
    page_two.fill("#id_title_ru", "Заголовок второго")
    page_two.get_by_role("button", name="Сохранить виджет").click()
    # then the second sees both versions and nothing of theirs was written
    conflict = page_two.locator(".widget-conflict")
    expect(conflict.get_by_role("heading", name="Ваши изменения не сохранены")).to_be_visible()
    expect(conflict.locator('[data-side="mine"]').first).to_have_text("Заголовок второго")
    expect(conflict.locator('[data-side="theirs"]').first).to_have_text("Заголовок первого")
    shoot(page_two, "widget-conflict-375")
    assert page_two.evaluate("document.documentElement.scrollWidth") <= 375
    assert WidgetConfig.objects.unscoped().get(tenant=tenant).title_ru == "Заголовок первого"
    # "keep mine" saves over version 2
    conflict.get_by_role("button", name="Оставить мои").click()
    expect(page_two.get_by_text("Настройки виджета сохранены (версия 3).")).to_be_visible()
    assert WidgetConfig.objects.unscoped().get(tenant=tenant).title_ru == "Заголовок второго"
