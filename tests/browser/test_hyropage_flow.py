"""HyroPage's "done when", in headless Chromium: a tenant writes a brief, Gemini (the local
fake of generateContent) writes a Russian page, the tenant edits the headline, previews,
publishes, opens the public URL on a 375 px phone, submits the embedded widget and finds the
lead in its list with source HyroPage. Screenshots in /tmp/shots/hyropage-*.png."""

import re

import pytest
from playwright.sync_api import expect

from apps.ai.tests.fake_gemini import FakeGemini
from apps.billing.tests.helpers import subscribe
from apps.hyropage.brief import Brief
from apps.hyropage.offline import offline_page
from apps.leads.models import Lead
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def gemini(settings):
    with FakeGemini() as fake:
        settings.GEMINI_API_KEY = "gemini-test-key"
        settings.GEMINI_BASE_URL = fake.base_url
        settings.AI_RETRY_MAX_ATTEMPTS = 1
        yield fake


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка Ремонт", slug="romashka-pages")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "pro")
    return tenant, admin


def _russian_page() -> dict:
    brief = Brief(
        product="Ремонт ванных комнат под ключ в Казани",
        audience="владельцы квартир в новостройках",
        details="Гарантия 3 года по договору.\nСмета бесплатно за один день.",
    )
    content = offline_page(brief).model_dump()
    content["headline"] = "Ванная под ключ в новостройке"
    return content


def _shoot(page, name, viewport):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"hyropage-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.django_db(transaction=True)
def test_brief_to_russian_page_to_published_to_lead_from_a_phone(
    company,
    gemini,
    live_server,
    chromium,  # noqa: F811
):
    tenant, admin = company
    gemini.ok(_russian_page())
    context = chromium.new_context(locale="ru-RU", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    path = f"/t/{tenant.slug}/pages/"
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))

    # a brief in Russian
    page.get_by_label("Продукт или предложение").fill("Ремонт ванных комнат под ключ в Казани")
    page.get_by_label("Аудитория").fill("владельцы квартир в новостройках")
    page.get_by_label("Язык страницы").select_option("ru")
    page.get_by_label("Факты для текста").fill("Гарантия 3 года по договору.")
    page.get_by_label("Адрес страницы").fill("vannaya")
    _shoot(page, "brief-desktop", DESKTOP)
    page.get_by_role("button", name="Написать страницу").click()

    # the draft: written by the configured model, every field editable
    expect(page.locator(".generation-model")).to_contain_text("gemini-2.5-flash")
    headline = page.get_by_label("Главный заголовок")
    expect(headline).to_have_value("Ванная под ключ в новостройке")
    headline.fill("Ванная под ключ за 14 дней")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".version-list")).to_contain_text("v2")
    preview = page.frame_locator(".preview-frame iframe")
    expect(preview.locator("h1")).to_have_text("Ванная под ключ за 14 дней")
    page.locator('label[for="preview-phone"]').click()
    _shoot(page, "editor-desktop", DESKTOP)
    page.get_by_role("button", name="Опубликовать").click()
    public_link = page.locator("a.public-link")
    expect(public_link).to_be_visible()
    public_path = f"/p/{tenant.slug}/vannaya/"

    # a visitor on a phone
    phone = chromium.new_context(locale="ru-RU", viewport=PHONE, is_mobile=True)
    phone.set_default_timeout(15_000)
    visitor = phone.new_page()
    visitor.goto(f"{live_server.url}{public_path}")
    expect(visitor.locator("h1")).to_have_text("Ванная под ключ за 14 дней")
    expect(visitor.locator('meta[property="og:title"]')).to_have_count(1)
    expect(visitor.locator('link[rel="canonical"]')).to_have_attribute(
        "href", re.compile(re.escape(public_path) + "$")
    )
    expect(visitor.locator(".hp-placeholder-mark").first).to_contain_text("Пример")
    form = visitor.locator(".fl-widget form")
    expect(form).to_be_visible()
    visitor.get_by_label("Имя").fill("Анна Петрова")
    visitor.get_by_label("Телефон").fill("+7 916 123-45-67")
    visitor.locator('input[name="consents.processing"]').check()
    _shoot(visitor, "public-phone", PHONE)
    visitor.get_by_role("button", name="Отправить").click()
    expect(visitor.get_by_role("status")).to_contain_text("Спасибо")
    _shoot(visitor, "public-phone-sent", PHONE)

    # the lead is in the company's list with source HyroPage
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        assert lead.source == "hyropage"
        page_ref = lead.actions.get().metadata["hyropage_ref"]
    page.goto(f"{live_server.url}/t/{tenant.slug}/leads/")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Анна Петрова")
    expect(row).to_contain_text("HyroPage")
    page.goto(f"{live_server.url}{path}")
    expect(page.locator(".page-conversions").first).to_have_text("1")
    expect(page.locator(".page-views").first).to_have_text("1")
    _shoot(page, "list-desktop", DESKTOP)
    page.set_viewport_size(PHONE)
    page.reload()  # no sidebar caught in its resize transition
    _shoot(page, "list-phone", PHONE)
    page.locator(f'a[href$="/pages/{page_ref}/"]').click()
    _shoot(page, "editor-phone", PHONE)
    context.close()
    phone.close()
