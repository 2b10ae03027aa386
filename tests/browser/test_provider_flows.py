"""End to end in headless Chromium against local fakes of YooKassa and T-Bank
(apps.payments.tests.fakes.py, served over HTTP on 127.0.0.1): the tenant's admin picks Pro, pays
on the provider's hosted page, comes back and sees Pro active; with the chosen provider down the
billing page offers the other one. Screenshots go to /tmp/shots/provider-*.png."""

import copy
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect, sync_playwright

from apps.billing import services
from apps.billing.models import Plan, Subscription
from apps.payments.gateways.tbank import decline_reason
from apps.payments.models import Payment, PaymentStatus
from apps.payments.tests.fakes import FakeServer, FakeTBank, FakeYooKassa
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka")
    user = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__name="Анна Админ").user
    services.subscription_start_trial(tenant=tenant)
    return tenant, user


def _allow_form_action(settings, origin: str) -> None:
    """The pay form redirects to the provider's page: CSP form-action must allow its origin
    (settings list YooKassa's and T-Bank's real ones; here the fake's)."""
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(origin)
    settings.CONTENT_SECURITY_POLICY = policy


@pytest.fixture
def yookassa(settings):
    fake = FakeYooKassa()
    with FakeServer(fake) as url:
        _allow_form_action(settings, url)
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "100500", "test_secret"
        settings.YOOKASSA_API_URL = f"{url}/v3"
        yield fake


@pytest.fixture
def tbank(settings):
    fake = FakeTBank(password="secret-pass")
    with FakeServer(fake) as url:
        _allow_form_action(settings, url)
        settings.TINKOFF_TERMINAL_KEY = "TinkoffBankTest"
        settings.TINKOFF_PASSWORD = "secret-pass"
        settings.TINKOFF_API_URL = f"{url}/v2"
        yield fake


@pytest.fixture
def flow_browser(live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(flow_browser):
    context = flow_browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"provider-{name}.png"), full_page=True)


def _log_in_to_billing(page, live_server, user, tenant) -> str:
    billing = f"/t/{tenant.slug}/billing/"
    page.goto(f"{live_server.url}/accounts/login/?next={billing}")
    page.fill('input[name="login"]', user.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    page.wait_for_url(re.compile(rf"{re.escape(billing)}$"))
    return billing


def _choose(page, code: str):
    page.locator(f"form:has(input[name='plan'][value='{code}']) button[type=submit]").click()


def _assert_plan_active(page, tenant, code: str):
    subscription = Subscription.objects.for_tenant(tenant).get(status="active")
    assert subscription.plan.code == code
    name = Plan.objects.get(code=code).name
    plan_card = page.locator(".stat-card").first
    expect(plan_card.locator(".stat-value")).to_have_text(name)
    expect(plan_card.locator(".badge-success")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_pick_pro_pay_on_yookassa_come_back_with_pro_active(
    company, yookassa, settings, live_server, flow_browser
):
    settings.PAYMENTS_RUB_PROVIDER = "yookassa"
    tenant, user = company
    page = _page(flow_browser)
    _log_in_to_billing(page, live_server, user, tenant)
    shoot(page, "billing-before")

    # when the admin picks Pro, they land on YooKassa's hosted page
    _choose(page, "pro")
    expect(page).to_have_url(re.compile(r"/checkout/"))
    expect(page.locator(".sum")).to_have_text("9990.00 ₽")
    shoot(page, "yookassa-checkout")

    # and pay there, which sends them back to the billing page
    page.locator("button[value=pay]").click()
    page.wait_for_url(re.compile(r"/billing/\?payment="))

    # then the page asked YooKassa for the status: Pro is active, the payment succeeded
    _assert_plan_active(page, tenant, "pro")
    expect(page.locator(".messages, .toasts, [role=status]").first).to_be_attached()
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.provider == "yookassa"
    assert payment.subscription.payment_method_id  # the card is saved for renewals
    assert yookassa.calls["POST payments"] == 1
    shoot(page, "yookassa-back-pro-active")


@pytest.mark.django_db(transaction=True)
def test_pick_pro_pay_on_tbank_come_back_with_pro_active(
    company, tbank, settings, live_server, flow_browser
):
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    settings.SITE_URL = live_server.url  # T-Bank notifies /webhooks/tinkoff/ there
    tbank.send_notifications = True
    tenant, user = company
    page = _page(flow_browser)
    _log_in_to_billing(page, live_server, user, tenant)

    _choose(page, "pro")
    expect(page).to_have_url(re.compile(r"/pay/\d+$"))
    expect(page.locator(".sum")).to_have_text("9990.00 ₽")
    shoot(page, "tbank-form")
    page.locator("button[value=pay]").click()
    page.wait_for_url(re.compile(r"/billing/\?payment="))

    _assert_plan_active(page, tenant, "pro")
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.provider == "tinkoff"
    assert payment.subscription.payment_method_id in tbank.rebills  # RebillId for renewals
    assert tbank.notifications == [(200, "OK")]  # the signed notification was accepted
    assert tbank.calls["Init"] == 1
    shoot(page, "tbank-back-pro-active")


@pytest.mark.django_db(transaction=True)
def test_a_declined_card_on_tbank_shows_why_and_keeps_the_trial(
    company, tbank, settings, live_server, flow_browser
):
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    tenant, user = company
    page = _page(flow_browser)
    _log_in_to_billing(page, live_server, user, tenant)
    _choose(page, "pro")
    page.locator("button[value=decline]").click()
    page.wait_for_url(re.compile(r"/billing/\?payment="))

    payment = Payment.objects.for_tenant(tenant).get()
    with translation.override("ru"):  # the payer's language (ru-RU browser)
        assert payment.status == PaymentStatus.FAILED
        assert payment.failure_reason == decline_reason("0")
    expect(page.locator(".messages, .alert, [role=alert]").first).to_contain_text(
        payment.failure_reason
    )
    assert not Subscription.objects.for_tenant(tenant).filter(status="active").exists()
    shoot(page, "tbank-declined")


@pytest.mark.django_db(transaction=True)
def test_tbank_down_the_page_offers_yookassa_and_paying_there_works(
    company, tbank, yookassa, settings, live_server, flow_browser
):
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    tbank.down = True  # T-Bank answers 500 to everything
    tenant, user = company
    page = _page(flow_browser)
    _log_in_to_billing(page, live_server, user, tenant)

    # when the admin picks Pro, T-Bank fails and the page offers YooKassa instead
    _choose(page, "pro")
    retry = page.locator("section[aria-labelledby=retry-title]")
    expect(retry).to_be_visible()
    offer = retry.locator("form:has(input[name=provider][value=yookassa]) button")
    expect(offer).to_be_visible()
    shoot(page, "tbank-down-offers-yookassa")
    assert tbank.calls["Init"] == 0  # never initialised while the order could not be checked

    # and paying with YooKassa goes through
    offer.click()
    expect(page).to_have_url(re.compile(r"/checkout/"))
    page.locator("button[value=pay]").click()
    page.wait_for_url(re.compile(r"/billing/\?payment="))
    _assert_plan_active(page, tenant, "pro")
    providers = dict(Payment.objects.for_tenant(tenant).values_list("provider", "status"))
    assert providers == {"tinkoff": "failed", "yookassa": "succeeded"}
    shoot(page, "yookassa-after-fallback")
