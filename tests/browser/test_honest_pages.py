"""In headless Chromium, at desktop width and at 375 px: the landing page's pricing, and what a
company on Старт sees of the tools and limits it does not have — the Modules page with the
tools still being built as "coming soon", the overview's real lead count, the locked export
and enrichment buttons, the locked API-keys page and the own-companies limit. Nothing
overflows a phone's width. Screenshots go to /tmp/shots/honest-*.png."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.billing.tests.helpers import subscribe
from apps.leads.ingestion import ingest_leads
from apps.tenants import services as tenant_services
from apps.tenants.scoping import tenant_scope
from apps.web import onboarding
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, UserFactory

pytestmark = BROWSER_MARKS

WIDTHS = {"desktop": 1280, "phone": 375}


@pytest.fixture
def start_company(transactional_db):
    """An administrator who owns one company on Старт, with two leads."""
    admin = UserFactory(email="anna@example.ru", name="Анна Петрова", verified=True)
    tenant = tenant_services.tenant_create(user=admin, name="Ромашка")
    subscribe(tenant, "start")
    # a company past its onboarding wizard (the overview would open the wizard first)
    with tenant_scope(tenant):
        onboarding.progress_finish(onboarding.progress_get(tenant, create=True))
    ingest_leads(
        tenant=tenant,
        items=[
            {"email": "ivan@romashka.ru", "name": "Иван Петров"},
            {"email": "olga@example.ru", "name": "Ольга Смирнова"},
        ],
        source="api",
    )
    return tenant, admin


@pytest.fixture
def browser(live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, width: int):
    context = browser.new_context(locale="ru-RU", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def _shoot(page, name: str, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"honest-{name}-{size}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {size} is {overflow}px wider than the window"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(WIDTHS))
def test_landing_prices_the_plans_without_promising_missing_tools(live_server, browser, size):
    page = _page(browser, WIDTHS[size])
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Все заявки с сайта в одном списке")).to_be_visible()
    pricing = page.locator("#pricing")
    expect(pricing.locator(".price-card")).to_have_count(3)
    expect(pricing.locator("#plan-pro")).to_contain_text("2 000 лидов в месяц")
    expect(pricing.locator("#plan-pro")).to_contain_text("Экспорт")
    expect(pricing).to_contain_text("новые лиды не принимаются")
    # channels: connecting and testing is what is claimed (apps/site/claims.py)
    expect(page.locator("#channels")).to_contain_text("тестовое сообщение")
    _shoot(page, "landing", size)
    assert page.console_errors == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(WIDTHS))
def test_a_start_company_sees_locked_tools_and_limits_not_403_pages(
    start_company, live_server, browser, size
):
    tenant, admin = start_company
    page = _page(browser, WIDTHS[size])
    base = f"{live_server.url}/t/{tenant.slug}"
    page.goto(f"{live_server.url}/accounts/login/?next=/t/{tenant.slug}/modules/")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(r"/modules/$"))

    # the Modules page: built tools on or locked, the rest "coming soon"
    expect(page.locator("#module-export")).to_contain_text("Доступен на тарифе «Про»")
    soon = page.locator(".modules-soon")
    expect(soon.locator("#module-custom_branding")).to_contain_text("Скоро")
    expect(soon).not_to_contain_text("Включён")
    _shoot(page, "modules", size)

    # the overview counts the leads that exist and links the widget page
    page.goto(f"{base}/")
    expect(page.locator("[data-overview-leads] .stat-value")).to_have_text("2")
    expect(page.locator("[data-overview-widget] a")).to_have_attribute(
        "href", re.compile("/widget/$")
    )
    _shoot(page, "overview", size)

    # the leads table: export locked, leading to the plans
    page.goto(f"{base}/leads/")
    locked = page.locator('[data-tool-locked="export"]')
    expect(locked).to_be_visible()
    expect(locked).to_have_attribute("href", re.compile(r"/billing/#plans-title$"))
    _shoot(page, "leads", size)

    # the lead page: enrichment locked the same way
    page.locator("table a[href*='/leads/']").first.click()
    expect(page.locator('[data-tool-locked="enrichment"]')).to_be_visible()
    _shoot(page, "lead", size)

    # the API keys page: no form that would create a refused key, the plan that has API access
    page.goto(f"{base}/settings/api-keys/")
    notice = page.locator('.tool-locked-notice[data-tool-locked="api_access"]')
    expect(notice).to_contain_text("Бизнес")
    expect(page.locator("form.key-form")).to_have_count(0)
    _shoot(page, "api-keys", size)

    # following a locked button shows the plans, not a 403
    page.goto(f"{base}/leads/")
    page.locator('[data-tool-locked="export"]').click()
    expect(page).to_have_url(re.compile(r"/billing/#plans-title$"))
    expect(page.locator("[data-plan-tools]").first).to_be_visible()
    expect(page.locator("[data-limit-behaviour]").first).to_be_visible()
    _shoot(page, "billing", size)

    # a second own company: the trial's/Start's limit with the plan that allows more
    page.goto(f"{live_server.url}/companies/new/")
    expect(page.locator("[data-tenant-limit]")).to_contain_text("1 собственную компанию")
    expect(page.locator("[data-tenant-limit] a")).to_contain_text("Про")
    _shoot(page, "company-limit", size)
    assert page.console_errors == []
