"""/api/docs/ (Swagger UI) and /api/redoc/ (ReDoc) render the API's operations in a real
browser under the site's Content Security Policy: served from our static files, nothing
blocked."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS

pytestmark = BROWSER_MARKS
REDOC_CREDIT_LOGO = "cdn.redoc.ly/redoc/logo-mini.svg"
WAIT = 60_000  # a ceiling for the schema to load and render on a loaded machine

# Every CSP violation the page meets, recorded before any of its scripts runs.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def docs_page(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.failed = []
        page.on("requestfailed", lambda request: page.failed.append(request.url))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and not response.url.endswith("/favicon.ico")  # the browser's own guess
                and page.failed.append(response.url)
            ),
        )
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_without_a_csp_violation(docs_page, live_server):
    page = docs_page
    page.goto(f"{live_server.url}/api/docs/")
    # every tag is listed, folded (the schema was fetched and rendered whole: the last tag
    # too) ...
    tags = page.locator(".opblock-tag")
    expect(tags.filter(has_text="widget")).to_be_visible(timeout=WAIT)
    assert tags.count() > 15
    # ... and a tag opens on its operations
    tags.filter(has_text="auth").first.click()
    register = page.locator(".opblock-summary-path", has_text="/api/v1/auth/register")
    expect(register).to_be_visible(timeout=WAIT)
    tags.filter(has_text="upsell").first.click()
    won = page.locator(".opblock-summary-path", has_text="/won/")
    expect(won).to_be_visible(timeout=WAIT)
    # ... from this server only, nothing blocked by the policy
    assert page.evaluate("window.__violations") == []
    assert page.failed == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs-swagger.png"))


@pytest.mark.django_db(transaction=True)
def test_redoc_renders_the_operations_without_a_csp_violation(docs_page, live_server):
    page = docs_page
    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.locator("[data-section-id^='operation/']").first).to_be_attached(timeout=WAIT)
    expect(page.get_by_text("/api/v1/auth/register").first).to_be_attached(timeout=WAIT)
    # ReDoc's "powered by" logo always comes from its CDN, which the policy keeps out (ReDoc
    # hides the image when it does not load); nothing else is blocked
    violations = page.evaluate("window.__violations")
    assert [v for v in violations if not v.endswith(REDOC_CREDIT_LOGO)] == []
    assert [url for url in page.failed if not url.endswith(REDOC_CREDIT_LOGO)] == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs-redoc.png"))
