"""What every browser test shares: Debian's chromium (apt), headless, and the marks that skip
the test where it is not installed. Screenshots go to SHOTS."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

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
