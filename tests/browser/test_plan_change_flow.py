"""End to end in headless Chromium: an admin on Start with a saved sandbox card opens the
billing page, picks Pro, sees the prorated amount, confirms, and sees Pro active and the
charge in the billing history. Screenshots go to /tmp/shots/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from apps.billing.models import Subscription
from apps.billing.tests.helpers import subscribe
from apps.payments.models import Payment
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def company_on_start(transactional_db):
    """Ромашка on Start, half-way through its period, with a saved sandbox card."""
    tenant = TenantFactory(name="Ромашка", slug="romashka")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    now = timezone.now()
    with tenant_scope(tenant):
        subscription = subscribe(
            tenant,
            "start",
            period_start=now - timedelta(days=15),
            period_end=now + timedelta(days=15),
        )
        Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
            provider="sandbox", payment_method_id="sandbox_card_browser"
        )
    return tenant, admin, subscription


@pytest.fixture
def browser(live_server):
    """Chromium, closed before the live server stops (request it after the data fixtures)."""

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_admin_upgrades_start_to_pro_with_a_prorated_charge(company_on_start, live_server, browser):
    tenant, admin, subscription = company_on_start
    context = browser.new_context(locale="ru-RU", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    billing_url = f"/t/{tenant.slug}/billing/"

    # given the admin logged in on the billing page
    page.goto(f"{live_server.url}/accounts/login/?next={billing_url}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(billing_url) + "$"))
    expect(page.locator('[data-testid="subscription-status"]')).to_be_visible()

    # when they pick Pro, the preview shows the prorated amount without a reload
    page.evaluate("window.__samePage = true")
    page.locator('button[hx-get$="plan=pro"]').click()
    amount = page.locator('[data-testid="proration-amount"]')
    expect(amount).to_be_visible()
    # (9,990 - 4,990) RUB × 15 of 30 days ≈ 2,500 RUB
    shown = amount.inner_text()
    assert re.match(r"^2\s?(499|500),\d\d RUB$", shown.replace("\xa0", " ")), shown
    assert page.evaluate("window.__samePage") is True
    shoot(page, "plan-change-preview")

    # and they confirm
    page.locator("#plan-change button[type=submit]").click()

    # then the page reloads with Pro active and the charge in the billing history
    expect(page.locator(".stat-card .stat-value").first).to_have_text("Про")
    expect(page.locator('[data-testid="subscription-status"]')).to_have_class(
        re.compile("badge-success")
    )
    upgrade = page.locator("#billing-history tbody tr", has_text="Старт → Про")
    expect(upgrade).to_have_count(1)
    expect(upgrade).to_contain_text(shown)
    shoot(page, "plan-change-done")

    with tenant_scope(tenant):
        payment = Payment.objects.for_tenant(tenant).get()
        subscription.refresh_from_db()
    assert (payment.kind, payment.status) == ("proration", "succeeded")
    assert subscription.plan.code == "pro"
    assert not errors, errors
