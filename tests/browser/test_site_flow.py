"""In headless Chromium, at desktop width and at 375 px, as a new visitor would: the landing
page → the pricing page (from the site menu) → "Попробовать бесплатно" → the sign-up form.
Nothing overflows a phone's width, the console stays clean. Screenshots go to
/tmp/shots/site-*.png."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401

pytestmark = BROWSER_MARKS

WIDTHS = {"desktop": 1280, "phone": 375}


def _page(browser, width: int):
    context = browser.new_context(locale="ru-RU", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def _shoot(page, name: str, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"site-{name}-{size}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {size} is {overflow}px wider than the window"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(WIDTHS))
def test_landing_to_pricing_to_sign_up(live_server, chromium, size):  # noqa: F811
    page = _page(chromium, WIDTHS[size])
    # given a visitor on the landing page
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Все заявки с сайта в одном списке")
    expect(page.locator("#testimonials")).to_contain_text("Заглушка")
    _shoot(page, "landing", size)

    # when they open the pricing page from the site menu
    page.get_by_role("navigation", name="Сайт").get_by_role("link", name="Тарифы").click()

    # then they see the catalogue's rouble plans and Enterprise on request
    expect(page).to_have_url(re.compile(r"/pricing/$"))
    expect(page.locator("#plan-start")).to_contain_text("4 990 ₽")
    expect(page.locator("#plan-enterprise")).to_contain_text("по запросу")
    _shoot(page, "pricing", size)

    # when they press "Попробовать бесплатно"
    page.locator('[data-cta="pricing"]').click()

    # then the sign-up form is open
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.locator('input[name="email"]')).to_be_visible()
    _shoot(page, "signup", size)
    assert page.console_errors == []


@pytest.mark.django_db(transaction=True)
def test_pricing_email_tab_and_features_at_phone_width(live_server, chromium):  # noqa: F811
    page = _page(chromium, WIDTHS["phone"])
    page.goto(f"{live_server.url}/pricing/")
    page.get_by_role("link", name="E-mail-тарифы в евро").click()
    expect(page.locator("#plan-email_2500")).to_contain_text("19,99 €")
    _shoot(page, "pricing-email", "phone")

    page.goto(f"{live_server.url}/features/")
    expect(page.locator("#demo")).to_contain_text("Статичное превью")
    _shoot(page, "features", "phone")
    assert page.console_errors == []
