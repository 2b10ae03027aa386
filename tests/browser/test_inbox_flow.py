"""End to end in headless Chromium against a local fake Telegram Bot API: the admin connects a
Telegram bot by typing its token, a person writes to the bot (the update is posted to our
webhook), the lead appears in the inbox "Входящие" by itself (HTMX polling), the operator
answers from the lead page, the fake receives the text, and the page shows "Доставлено" (the
Bot API's ok answer is the delivery: Telegram sends no receipts).
Celery runs eagerly (tests' settings), so nothing races a worker: the test waits on the page.
Screenshots (desktop and 375 px) go to /tmp/shots/."""

import re

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from apps.billing.tests.helpers import subscribe
from apps.channels.models import Channel
from apps.channels.providers import telegram
from apps.messaging.models import Direction, Message
from apps.messaging.tests.fake_telegram import FakeTelegram, telegram_update
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

TOKEN = "7000001:AAFakeBrowserTestToken1234"
CHAT_ID = 555001
QUESTION = "Здравствуйте! Сколько стоит доставка в Казань?"
ANSWER = "Добрый день! Доставка в Казань — 500 ₽, два дня."
POLL_WAIT = 60_000  # ms: the pages poll every 5 s; the shared test machine can be slow


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-inbox")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "start")
    return tenant, admin


@pytest.fixture
def inbox_browser(live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.django_db(transaction=True)
def test_telegram_lead_answered_from_the_lead_page_shows_delivered(
    company, live_server, inbox_browser, monkeypatch, settings
):
    tenant, admin = company
    settings.SITE_URL = live_server.url
    with FakeTelegram(TOKEN) as fake:
        monkeypatch.setattr(telegram, "API", fake.url)
        context = inbox_browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))

        # given: the admin connects a Telegram bot by typing its token
        channels = f"/t/{tenant.slug}/channels/"
        page.goto(f"{live_server.url}/accounts/login/?next={channels}")
        page.fill('input[name="login"]', admin.email)
        page.fill('input[name="password"]', PASSWORD)
        page.press('input[name="password"]', "Enter")
        expect(page).to_have_url(re.compile(re.escape(channels)))
        page.locator("details.connect-provider summary", has_text="Telegram").click()
        page.fill('input[name="telegram-cred_bot_token"]', TOKEN)
        page.locator("details.connect-provider[open] button[type=submit]").click()
        expect(page.locator(".channels-table .badge-success")).to_have_text("Подключён")
        assert ("getMe", {}) in fake.calls
        channel = Channel.objects.unscoped().get(tenant=tenant)

        # the inbox is open and empty; a person writes to the bot
        page.goto(f"{live_server.url}/t/{tenant.slug}/inbox/")
        expect(page.get_by_text("Нет открытых диалогов.")).to_be_visible()
        hook = f"{live_server.url}/webhooks/channels/telegram/{channel.webhook_token}/"
        answer = httpx.post(
            hook,
            json=telegram_update(CHAT_ID, QUESTION),
            headers={telegram.SECRET_HEADER: channel.webhook_token},
        )
        assert answer.status_code == 200
        stored = Message.objects.unscoped().filter(direction=Direction.IN)
        assert [m.body for m in stored] == [QUESTION], (fake.calls, channel.webhook_token)

        # then: the conversation appears without a reload, with its unread badge
        item = page.locator(".conversation-item", has_text=QUESTION)
        expect(item).to_be_visible(timeout=POLL_WAIT)
        expect(item.locator(".badge-unread")).to_have_text("1")
        expect(page.locator(".nav-badge .badge")).to_have_text("1", timeout=POLL_WAIT)
        shoot(page, "inbox-desktop")

        # when: the operator answers from the lead page
        item.locator("a.conversation-link").click()
        expect(page.locator("#conversation-thread")).to_contain_text(QUESTION)
        page.fill("#reply-body", ANSWER)
        page.locator("#reply-box button[type=submit]").click()

        # then: the fake Telegram got the text for that chat (the send ran eagerly), and the
        # page shows it delivered: the Bot API sends no receipts, and its `ok: true` answer
        # with a message_id means the message is in the person's chat (providers/telegram.py)
        outgoing = page.locator(".message-out", has_text=ANSWER)
        expect(outgoing.locator(".message-status")).to_have_text("Доставлено", timeout=POLL_WAIT)
        assert [(m["chat_id"], m["text"]) for m in fake.sent] == [(str(CHAT_ID), ANSWER)]
        sent = Message.objects.unscoped().get(direction=Direction.OUT)
        assert sent.provider_message_id and sent.delivered_at
        shoot(page, "lead-conversation-desktop")
        assert fits(page, 1280)

        # the same pages at a phone's width
        page.set_viewport_size({"width": 375, "height": 812})
        page.reload()
        expect(page.locator("#reply-box")).to_be_visible()
        shoot(page, "lead-conversation-phone")
        assert fits(page, 375)
        page.goto(f"{live_server.url}/t/{tenant.slug}/inbox/")
        expect(page.locator(".conversation-item", has_text=ANSWER)).to_be_visible()
        shoot(page, "inbox-phone")
        assert fits(page, 375)
        assert errors == []
        context.close()
