"""Issue 17's "Done when", in one continuous run in headless Chromium, as a new user would:
the landing page → pricing → "Попробовать бесплатно" → sign up → the confirmation e-mail →
the onboarding wizard (company, widget with the live preview changing before it is saved,
channel skipped, the built-in calendar switched on, the snippet) → the snippet pasted on a
plain HTML page served by http.server on another local origin (the site given in the wizard,
so allowed) → a visitor sends the form and books a meeting in the widget → the wizard says the
first lead has arrived → the dashboard shows the lead as "Встреча назначена" → a second admin
who saves an old version of the widget sees the conflict screen.

Every page is photographed at 1280 px and at 375 px (/tmp/shots/front-door-*.png), and none
is wider than a 375 px phone."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from apps.booking.models import Booking
from apps.leads.models import Lead, LeadStatus
from apps.tenants.models import Tenant
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium, log_in  # noqa: F401
from tests.browser.test_onboarding_flow import plain_site  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

ZONE = "Asia/Yekaterinburg"
DESKTOP, PHONE = 1280, 375


def _page(browser, width: int = DESKTOP):
    context = browser.new_context(
        locale="ru-RU", viewport={"width": width, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def _shots(page, name: str) -> None:
    """The page at desktop width and at 375 px (transitions fast-forwarded: the phone
    layout, not the drawer closing), nothing wider than the window."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        path = str(SHOTS / f"front-door-{name}-{width}.png")
        page.screenshot(path=path, full_page=True, animations="disabled")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} at {width}px is {overflow}px wider than the window"
    page.set_viewport_size({"width": DESKTOP, "height": 900})


def _confirm_link() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0)


def test_landing_to_a_booked_meeting_and_the_conflict_screen(
    chromium,  # noqa: F811 (the fixtures imported above)
    live_server,
    plain_site,  # noqa: F811
    settings,
):
    settings.SITE_URL = live_server.url  # the snippet and the e-mails point at this server
    folder, site = plain_site
    page = _page(chromium)

    # --- the public site -------------------------------------------------------------------
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Все заявки с сайта в одном списке")
    _shots(page, "landing")
    page.get_by_role("navigation", name="Сайт").get_by_role("link", name="Тарифы").click()
    expect(page).to_have_url(re.compile(r"/pricing/$"))
    expect(page.locator("#plan-start")).to_contain_text("4 990 ₽")
    _shots(page, "pricing")
    page.locator('[data-cta="pricing"]').click()

    # --- sign up, the confirmation e-mail ----------------------------------------------------
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    _shots(page, "signup")
    page.fill('input[name="name"]', "Анна Петрова")
    page.fill('input[name="company"]', "Ромашка")
    page.fill('input[name="email"]', "anna@example.com")
    page.fill('input[name="password1"]', "a-long-Secret-42")
    page.get_by_role("button", name="Регистрация").click()
    expect(page.get_by_role("heading", name="Проверьте почту")).to_be_visible()
    _shots(page, "check-mail")
    page.goto(_confirm_link())
    _shots(page, "confirm")
    page.get_by_role("button", name="Подтвердить").click()

    # --- the wizard: company -----------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/t/romashka/welcome/company/$"))
    _shots(page, "wizard-company")
    page.get_by_label("Ваш сайт").fill(site)
    page.get_by_label("Часовой пояс").select_option(ZONE)
    page.get_by_role("button", name="Сохранить и продолжить").click()

    # the widget, with the live preview showing a change before it is saved
    expect(page).to_have_url(re.compile(r"/welcome/widget/$"))
    preview = page.frame_locator("#widget-preview")
    expect(preview.get_by_role("heading", name="Оставьте заявку")).to_be_visible()
    page.get_by_label("Заголовок (русский)").fill("Закажите букет")
    expect(preview.get_by_role("heading", name="Закажите букет")).to_be_visible()
    _shots(page, "wizard-widget")
    page.get_by_role("button", name="Сохранить и продолжить").click()

    # no channel yet; the built-in calendar switched on, every day 10:00–18:00
    expect(page).to_have_url(re.compile(r"/welcome/channel/$"))
    _shots(page, "wizard-channel")
    page.get_by_role("button", name="Пропустить").click()
    expect(page).to_have_url(re.compile(r"/welcome/calendar/$"))
    page.get_by_label("Предлагать встречи в виджете").check()
    for day in ("Сб", "Вс"):
        page.get_by_label(day, exact=True).check()
    _shots(page, "wizard-calendar")
    page.get_by_role("button", name="Сохранить и продолжить").click()

    # the snippet, pasted on the customer's plain page
    expect(page).to_have_url(re.compile(r"/welcome/snippet/$"))
    _shots(page, "wizard-snippet")
    snippet = page.locator("#widget-snippet").inner_text()
    (folder / "index.html").write_text(
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>Ромашка</title></head><body><h1>Цветы с доставкой</h1>{snippet}</body></html>",
        encoding="utf-8",
    )
    page.get_by_role("button", name="Код на сайте, дальше").click()
    expect(page).to_have_url(re.compile(r"/welcome/test/$"))
    expect(page.get_by_text("Ждём заявку из виджета…")).to_be_visible()
    _shots(page, "wizard-test")

    # --- a visitor on the plain page sends the form and books a meeting ---------------------
    tenant = Tenant.objects.get(slug="romashka")
    visitor = _page(chromium, PHONE)
    visitor.goto(f"{site}/index.html")
    expect(visitor.get_by_role("heading", name="Закажите букет")).to_be_visible()
    visitor.get_by_label("Имя").fill("Олег")
    visitor.get_by_label("E-mail").fill("oleg@example.com")
    visitor.locator('input[name="consents.processing"]').check()
    _shots(visitor, "visitor-form")
    visitor.get_by_role("button", name="Отправить").click()
    expect(visitor.get_by_role("heading", name="Выберите время встречи")).to_be_visible()
    tomorrow = (timezone.now().astimezone(ZoneInfo(ZONE)) + timedelta(days=1)).date()
    visitor.get_by_label("Дата").fill(tomorrow.isoformat())
    # the slots of the picked day (the list says which day it shows)
    slot = visitor.locator(f'.fl-slots[data-date="{tomorrow.isoformat()}"] .fl-slot').first
    expect(slot).to_be_visible()
    _shots(visitor, "visitor-slots")
    slot.click()
    expect(visitor.locator(".fl-booking .fl-status")).to_contain_text("Встреча назначена")
    _shots(visitor, "visitor-booked")
    assert visitor.console_errors == []

    # the company's mailbox and the visitor's: the confirmation with the .ics invite
    invite = next(m for m in mail.outbox if "oleg@example.com" in m.to)
    assert any(name == "invite.ics" for name, _content, _type in invite.attachments)

    # --- the wizard sees the first lead; the dashboard shows the meeting --------------------
    expect(page.get_by_text("Ваша первая заявка пришла!")).to_be_visible()
    expect(page.locator("#demo-status")).to_contain_text("Олег")
    page.get_by_role("button", name="Завершить").click()
    expect(page.get_by_role("heading", name="Короткий обзор")).to_be_visible()
    _shots(page, "overview-tour")
    with tenant_scope(tenant):
        lead = Lead.objects.get(email="oleg@example.com")
        assert lead.status == LeadStatus.BOOKED
        booking = Booking.objects.get(lead=lead)
        assert booking.starts_at.astimezone(ZoneInfo(ZONE)).date() == tomorrow
    page.goto(f"{live_server.url}/t/romashka/leads/")
    row = page.locator("tr", has_text="Олег")
    expect(row).to_contain_text("Встреча назначена")
    _shots(page, "leads")
    row.get_by_role("link", name="Олег").first.click()
    expect(page.get_by_text("Встреча назначена").first).to_be_visible()
    _shots(page, "lead")
    page.goto(f"{live_server.url}/t/romashka/booking/")
    expect(page.get_by_role("link", name="Олег")).to_be_visible()
    _shots(page, "meetings")

    # --- a second admin saves an old version of the widget ----------------------------------
    colleague = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    second = _page(chromium, PHONE)
    log_in(second, live_server, colleague.email, "/t/romashka/widget/")
    expect(second.locator("#widget-config-form")).to_be_visible()
    page.goto(f"{live_server.url}/t/romashka/widget/")
    page.fill("#id_title_ru", "Букеты за час")
    page.get_by_role("button", name="Сохранить виджет").click()
    saved = re.compile(r"Настройки виджета сохранены \(версия \d+\)\.")
    expect(page.get_by_text(saved)).to_be_visible()
    second.fill("#id_title_ru", "Свежие цветы")
    second.get_by_role("button", name="Сохранить виджет").click()
    conflict = second.locator(".widget-conflict")
    expect(conflict.get_by_role("heading", name="Ваши изменения не сохранены")).to_be_visible()
    expect(conflict.locator('[data-side="mine"]').first).to_have_text("Свежие цветы")
    expect(conflict.locator('[data-side="theirs"]').first).to_have_text("Букеты за час")
    _shots(second, "conflict")
    assert page.console_errors == []
