"""End to end in headless Chromium: sign up (naming the company once), confirm, land in the
company created from the sign-up, invite a colleague."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect, sync_playwright

from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, new_page

pytestmark = BROWSER_MARKS


@pytest.fixture
def chromium_page(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield new_page(browser, 1280, height=860)
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_sign_up_confirm_land_in_the_company_and_invite_a_colleague(chromium_page, live_server):
    page = chromium_page
    # given a visitor on the sign-up page
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # when they sign up
    page.fill('input[name="name"]', "Анна Петрова")
    page.fill('input[name="company"]', "Ромашка")
    page.fill('input[name="email"]', "anna@example.com")
    page.fill('input[name="password1"]', "a-long-Secret-42")
    page.get_by_role("button", name="Регистрация").click()

    # then they are asked to confirm, and the e-mail carries the link
    expect(page.get_by_role("heading", name="Проверьте почту")).to_be_visible()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)

    # when they open the link and confirm (a POST: nothing is confirmed on GET)
    page.goto(link)
    page.get_by_role("button", name="Подтвердить").click()

    # then they are signed in, in the company named at sign-up (not asked for it again):
    # the onboarding wizard opens; leaving it shows the dashboard in Russian
    expect(page).to_have_url(re.compile(r"/t/romashka/welcome/company/$"))
    page.get_by_role("link", name="Отложить настройку (прогресс сохранён)").click()
    expect(page).to_have_url(re.compile(r"/t/romashka/$"))
    expect(page.get_by_role("heading", name="Обзор")).to_be_visible()
    expect(page.get_by_text("С чего начать")).to_be_visible()

    # when they invite a colleague from the team page
    page.get_by_role("link", name="Команда").click()
    expect(page.get_by_role("heading", name="Команда", exact=True)).to_be_visible()
    page.evaluate("window.__samePage = true")
    invite_form = page.locator("form.invite-form")
    invite_form.locator('input[name="email"]').fill("colleague@example.com")
    invite_form.locator('select[name="role"]').select_option("analyst")
    page.get_by_role("button", name="Отправить приглашение").click()

    # then the invitation appears without a reload, and the colleague gets an e-mail
    invitations = page.locator("#invitations")
    expect(
        invitations.get_by_text("Приглашение отправлено на colleague@example.com.")
    ).to_be_visible()
    expect(invitations.locator("tbody")).to_contain_text("colleague@example.com")
    expect(invitations.locator("tbody")).to_contain_text("Аналитик")
    assert page.evaluate("window.__samePage") is True
    assert mail.outbox[-1].to == ["colleague@example.com"]
    assert page.console_errors == []  # among others: no Content-Security-Policy violations
