"""What every browser test shares: Debian's chromium (apt), headless, and the marks that skip
the test where it is not installed; a Russian page that records console errors, logging in, and
screenshots (they go to SHOTS)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SHOTS = Path("/tmp/shots")

# Playwright's sync API runs an event loop in the test's thread; the ORM calls made by the
# test itself must not be refused for it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture
def chromium(live_server):
    """Debian's chromium through Playwright, for tests that open their own contexts (import
    it into the test module: `from tests.browser.support import chromium  # noqa: F401`)."""

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, width: int, timeout: int = 15_000, height: int = 900, **options):
    """A page in Russian, `width` px wide, whose console errors collect in `console_errors`;
    `options` go to the browser context."""
    viewport = {"width": width, "height": height}
    context = browser.new_context(locale="ru-RU", viewport=viewport, **options)
    context.set_default_timeout(timeout)
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    return page


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, live_server, email: str, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
