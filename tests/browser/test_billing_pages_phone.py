"""In headless Chromium at 375 px and on a desktop: the billing page and the pay-per-lead
report fit the phone's width (no sideways scrolling: the totals row used to run to 540 px)
and their stacked cards keep each value's label. Screenshots go to /tmp/shots/."""

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from apps.billing.models import UsageMeter
from apps.billing.tests.helpers import subscribe
from apps.leads.ingestion import ingest_leads
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

SAMPLE = Path(__file__).resolve().parents[2] / "apps/leads/fixtures/seed_002_sample.json"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-phone")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__name="Анна Админ").user
    subscribe(tenant, "pro")
    now = timezone.now()
    UsageMeter.objects.create(
        tenant=tenant,
        period_start=now - timedelta(days=62),
        period_end=now - timedelta(days=31),
        plan_code="pro",
        leads_used=1234,
        lead_limit=2000,
    )
    ingest_leads(tenant=tenant, items=json.loads(SAMPLE.read_text()), source="api")
    return tenant, admin


@pytest.fixture
def browser(live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _logged_in(browser, live_server, admin, viewport, path):
    context = browser.new_context(locale="ru-RU", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={quote(path)}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))
    return page


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _label_of(page, selector: str) -> str:
    return page.evaluate(
        "(sel) => getComputedStyle(document.querySelector(sel), '::before').content", selector
    )


@pytest.mark.django_db(transaction=True)
def test_pay_per_lead_report_fits_a_phone_and_keeps_its_labels(company, live_server, browser):
    tenant, admin = company
    path = f"/t/{tenant.slug}/billing/reports/?period=2024-04"
    SHOTS.mkdir(parents=True, exist_ok=True)
    desktop = _logged_in(browser, live_server, admin, DESKTOP, path)
    desktop.screenshot(path=str(SHOTS / "payperlead-desktop.png"), full_page=True)
    phone = _logged_in(browser, live_server, admin, PHONE, path)
    phone.screenshot(path=str(SHOTS / "payperlead-375.png"), full_page=True)
    assert _page_width(phone) <= PHONE["width"]
    assert "Выставлено" in _label_of(phone, ".report-customers tbody td[data-label]:nth-child(4)")
    assert "Выставлено" in _label_of(phone, ".report-total td[data-label]:nth-child(4)")


@pytest.mark.django_db(transaction=True)
def test_billing_page_fits_a_phone(company, live_server, browser):
    tenant, admin = company
    path = f"/t/{tenant.slug}/billing/"
    desktop = _logged_in(browser, live_server, admin, DESKTOP, path)
    desktop.screenshot(path=str(SHOTS / "billing-desktop.png"), full_page=True)
    assert desktop.locator('nav [aria-current="page"]').count() == 1
    phone = _logged_in(browser, live_server, admin, PHONE, path)
    phone.screenshot(path=str(SHOTS / "billing-375.png"), full_page=True)
    assert _page_width(phone) <= PHONE["width"]
    # The plan cards keep their labels ("500 / 1 / 3" alone said nothing).
    plan_cell = "section[aria-labelledby=plans-title] tbody td[data-label]:nth-child(3)"
    assert "Лидов за период" in _label_of(phone, plan_cell)


@pytest.mark.django_db(transaction=True)
def test_a_customers_report_opens_a_lead_onto_its_actions_at_phone_width(
    company, live_server, browser
):
    """A lead's actions load when it is opened (the page renders the leads, not every line)."""
    tenant, admin = company
    path = f"/t/{tenant.slug}/billing/reports/?period=2024-04&customer=customer-123"
    phone = _logged_in(browser, live_server, admin, PHONE, path)
    lead = phone.locator("details.report-lead").first
    expect(lead.locator("table.report-lines")).to_have_count(0)
    lead.locator("summary").click()
    expect(lead.locator("table.report-lines tbody tr").first).to_be_visible()
    assert "Form Submission" in lead.locator("table.report-lines").inner_text()
    phone.screenshot(path=str(SHOTS / "payperlead-lead-375.png"), full_page=True)
    assert _page_width(phone) <= PHONE["width"]
