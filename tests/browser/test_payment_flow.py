"""End to end in headless Chromium: the admin of a trial company picks Pro, pays on the
sandbox test-card page, comes back with Pro active, opens the invoices and downloads the
invoice PDF. Screenshots go to /tmp/shots/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.billing.tests.helpers import start_trial
from apps.payments.models import Invoice
from apps.payments.tests.pdf_text import pdf_text
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def trial_company(transactional_db, settings):
    settings.PAYMENTS_RUB_PROVIDER = "sandbox"
    settings.BILLING_VAT_RATE_BP = 2000
    settings.BILLING_SELLER_NAME = "ООО «Фаст Лид»"
    tenant = TenantFactory(name="Ромашка", slug="romashka")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__name="Анна Админ").user
    start_trial(tenant)
    return tenant, admin


@pytest.fixture
def browser(live_server):
    """Chromium, closed before the live server stops (requested after the data fixtures)."""

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_pick_pro_pay_in_the_sandbox_and_download_the_invoice(trial_company, live_server, browser):
    tenant, admin = trial_company
    context = browser.new_context(
        locale="ru-RU", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    billing = f"/t/{tenant.slug}/billing/"

    # given the admin of a trial company on the billing page
    page.goto(f"{live_server.url}/accounts/login/?next={billing}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(rf"{billing}$"))

    # when they choose Pro and approve the sandbox test card
    page.locator('form:has(input[name="plan"][value="pro"]) button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/billing/sandbox/[0-9a-f-]+/$"))
    expect(page.locator(".badge-danger")).to_be_visible()  # the TEST mark
    page.locator('button[name="action"][value="approve"]').click()

    # then they are back on billing with Pro active
    expect(page).to_have_url(re.compile(rf"{billing}"))
    plan_card = page.locator(".stat-card").first
    expect(plan_card).to_contain_text("Про")
    expect(plan_card.locator(".badge-success")).to_be_visible()

    # when they open the invoices
    page.locator(f'a[href="/t/{tenant.slug}/billing/invoices/"]').first.click()
    expect(page).to_have_url(re.compile(r"/billing/invoices/$"))
    invoice = Invoice.objects.for_tenant(tenant).get()
    row = page.locator("tbody tr", has_text=invoice.number)
    expect(row).to_be_visible()
    expect(row).to_contain_text("9\u00a0990,00 RUB")
    shoot(page, "billing-invoices")

    # then the PDF downloads, names the invoice and is a PDF
    link = row.get_by_role("link", name=re.compile("PDF"))
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"invoice-{invoice.number}-ru.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert invoice.number in text and "ООО «Фаст Лид»" in text and "Ромашка" in text
    response = context.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"

    # and the payment history shows the test payment
    page.goto(f"{live_server.url}{billing}payments/")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("sandbox")
    shoot(page, "billing-payments")
    assert errors == []
    context.close()
