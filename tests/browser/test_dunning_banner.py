"""In headless Chromium: a company whose renewal was declined sees the card's reason on the
billing page, pays the overdue period by hand ("Pay now" -> sandbox test card) and is back
to active. Screenshots go to /tmp/shots/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from apps.billing.models import Subscription, SubscriptionStatus
from apps.billing.services.renewals import renewals_run
from apps.billing.tests.helpers import subscribe
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def past_due_company(transactional_db, settings):
    """A Pro company whose saved test card declines; its period ended an hour ago and the
    beat has tried to renew it."""
    settings.PAYMENTS_RUB_PROVIDER = "sandbox"
    tenant = TenantFactory(name="Ромашка", slug="romashka-dunning")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__name="Анна Админ").user
    now = timezone.now()
    subscription = subscribe(
        tenant, "pro", period_start=now - timedelta(days=30), period_end=now - timedelta(hours=1)
    )
    Subscription.objects.unscoped().filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id="sandbox_card_decline_demo"
    )
    renewals_run()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAST_DUE
    return tenant, admin, subscription


@pytest.fixture
def browser(live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.django_db(transaction=True)
def test_past_due_company_sees_the_reason_and_pays_now(past_due_company, live_server, browser):
    tenant, admin, subscription = past_due_company
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    billing = f"/t/{tenant.slug}/billing/"

    # given the admin of the past-due company on the billing page
    page.goto(f"{live_server.url}/accounts/login/?next={billing}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(rf"{billing}$"))

    # then the banner shows the card's reason and the next attempt
    banner = page.locator("#dunning")
    expect(banner).to_be_visible()
    expect(banner.locator(".dunning-reason")).to_have_text(subscription.last_failure_reason)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "billing-dunning-banner.png"), full_page=True)

    # when they pay now and approve the sandbox test card
    banner.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/billing/sandbox/[0-9a-f-]+/$"))
    page.locator('button[name="action"][value="approve"]').click()

    # then the banner is gone and the subscription is active again
    expect(page).to_have_url(re.compile(rf"{billing}"))
    expect(page.locator("#dunning")).to_have_count(0)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.last_failure_reason == ""
    assert errors == []
    context.close()
