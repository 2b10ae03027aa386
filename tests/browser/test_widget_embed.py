"""End to end in headless Chromium: the embed snippet on a customer's site renders the form
from static/widget/fastlead.js, and a visitor's request becomes a lead of the tenant."""

import pytest
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from apps.leads.models import Lead
from apps.leads.views_keys import widget_snippet
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS, new_page
from tests.factories import TenantFactory

pytestmark = BROWSER_MARKS


def host_page(snippet: str, lang: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Shop</title></head><body><h1>Shop</h1>"
        f"{snippet}</body></html>"
    )


@pytest.fixture
def widget_tenant(db, live_server):
    tenant = TenantFactory(name="Acme", allowed_origins=[host_site(live_server)])
    return tenant, publishable_key_get_or_create(tenant).key


@pytest.fixture
def chromium_page(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield new_page(browser, 390, height=844, bypass_csp=True)
        browser.close()


def host_site(live_server) -> str:
    """The customer's site: the live server under another host name (127.0.0.1 rather than
    localhost), so the widget works cross-origin, as on a real site, yet stays in the
    loopback address space (Chromium refuses a public page loading a loopback script)."""
    return live_server.url.replace("localhost", "127.0.0.1")


def open_host_page(page, live_server, key: str, lang: str = "ru", path: str = "/healthz"):
    """Open the customer's page holding the dashboard's snippet: a real page of the host
    origin whose content is replaced (set_content keeps the URL; the context bypasses the
    app's own CSP, which a customer's site would not have)."""

    with override_settings(SITE_URL=live_server.url):
        snippet = widget_snippet(key)
    page.goto(f"{host_site(live_server)}{path}")
    page.set_content(host_page(snippet, lang))


@pytest.mark.django_db(transaction=True)
def test_a_visitor_leaves_a_request_through_the_embedded_widget(
    chromium_page, live_server, widget_tenant
):
    page = chromium_page
    tenant, key = widget_tenant
    # given the snippet on a Russian page of the customer's site
    open_host_page(page, live_server, key, path="/healthz?utm_source=ads")
    form = page.locator(".fl-widget form")
    expect(form).to_be_visible()
    expect(page.get_by_label("Имя")).to_be_visible()
    expect(page.get_by_label("обработку моих персональных данных компанией Acme")).to_be_visible()
    honeypot = page.locator('input[name="hp_field"]')
    expect(honeypot).to_have_count(1)
    expect(honeypot).not_to_be_in_viewport()

    # when they send it without a contact nor consent, they are told what is missing
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[id$="-email-error"]')).to_contain_text("e-mail или телефон")
    with tenant_scope(tenant):
        assert not Lead.objects.exists()

    # and when they fill the form and agree
    page.get_by_label("Имя").fill("Анна Петрова")
    page.get_by_label("E-mail").fill("anna@example.com")
    page.get_by_label("Телефон").fill("+7 916 123-45-67")
    page.get_by_label("Сообщение").fill("Перезвоните, пожалуйста")
    page.locator('input[name="consents.processing"]').check()
    page.get_by_role("button", name="Отправить").click()

    # then they are thanked and the lead is stored for the tenant
    expect(page.get_by_role("status")).to_contain_text("Спасибо")
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        assert lead.source == "widget" and lead.email == "anna@example.com"
        assert lead.name == "Анна Петрова" and lead.consent_processing
        assert not lead.consent_marketing
        assert lead.consent_source == f"{host_site(live_server)}/healthz?utm_source=ads"
    # (the only error allowed is the host page's missing favicon)
    assert [e for e in page.console_errors if "404 (Not Found)" not in e] == []


@pytest.mark.django_db(transaction=True)
def test_the_widget_speaks_english_and_explains_errors_and_outages(
    chromium_page, live_server, widget_tenant
):
    page = chromium_page
    _tenant, key = widget_tenant
    page.clock.install()  # the retries' waits run on a clock the test moves
    open_host_page(page, live_server, key, lang="en")
    expect(page.get_by_label("Phone")).to_be_visible()

    # a field error from the API lands next to its field
    page.get_by_label("E-mail").fill("not-an-email")
    page.locator('input[name="consents.processing"]').check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("check the form")

    # a company whose form is unavailable: the polite message
    page.route(
        f"{live_server.url}/api/public/v1/widget/{key}/leads/",
        lambda route: route.fulfill(
            status=403,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": host_site(live_server)},
            body='{"error": {"code": "form_unavailable", "message": "x", "fields": {}}}',
        ),
    )
    page.get_by_label("E-mail").fill("anna@example.com")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("unavailable at the moment")

    # too many requests: the visitor is asked to retry
    page.unroute(f"{live_server.url}/api/public/v1/widget/{key}/leads/")
    page.route(
        f"{live_server.url}/api/public/v1/widget/{key}/leads/",
        lambda route: route.fulfill(
            status=429,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": host_site(live_server)},
            body='{"error": {"code": "throttled", "message": "x", "fields": {}}}',
        ),
    )
    page.get_by_role("button", name="Send").click()
    # it is sent again with backoff, the visitor told so, then asked to retry themselves
    status = page.locator(".fl-status")
    for attempt in range(2, 7):
        expect(status).to_have_attribute("data-attempt", str(attempt))
        expect(status).to_contain_text("trying again in")
        page.clock.run_for(60_000)
    expect(page.get_by_role("alert")).to_contain_text("try again in a minute")
    expect(status).to_be_empty()
    expect(page.get_by_label("E-mail")).to_have_value("anna@example.com")


def _unavailable(live_server, retry_after: str) -> dict:
    return {
        "status": 503,
        "content_type": "application/json",
        "headers": {
            "Access-Control-Allow-Origin": host_site(live_server),
            "Access-Control-Expose-Headers": "Retry-After",
            "Retry-After": retry_after,
        },
        "body": '{"error": {"code": "service_unavailable", "message": "x", "fields": {}}}',
    }


@pytest.mark.django_db(transaction=True)
def test_the_widget_retries_an_unavailable_server_and_keeps_the_visitors_input(
    chromium_page, live_server, widget_tenant
):
    page = chromium_page
    tenant, key = widget_tenant
    open_host_page(page, live_server, key, lang="en")
    # given the server answers 503 twice (the database restarting), then works again
    posts = []

    def unavailable_twice(route):
        if route.request.method != "POST":
            return route.continue_()
        posts.append(route.request.post_data_json)
        if len(posts) <= 2:
            return route.fulfill(**_unavailable(live_server, retry_after="2"))
        return route.continue_()

    page.route(f"{live_server.url}/api/public/v1/widget/{key}/leads/", unavailable_twice)
    # when a visitor sends the form
    page.get_by_label("Name").fill("Anna")
    page.get_by_label("E-mail").fill("anna@example.com")
    page.get_by_label("Message").fill("Call me back")
    page.locator('input[name="consents.processing"]').check()
    page.get_by_role("button", name="Send").click()
    # then they are told it is retrying, and what they typed stays in the form
    status = page.get_by_role("status")
    expect(status).to_contain_text("trying again in 2 s")  # the server's Retry-After, not 1 s
    expect(page.get_by_label("E-mail")).to_have_value("anna@example.com")
    expect(page.get_by_label("Message")).to_have_value("Call me back")
    expect(page.get_by_role("button", name="Sending")).to_be_disabled()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(SHOTS / "widget-retrying-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "widget-retrying-desktop.png"), full_page=True)
    # and the third try goes through: thanked, and the lead stored once
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    assert len(posts) == 3 and posts[0] == posts[2]
    assert posts[0]["submission_id"]  # the retries repeat it: the server stores the lead once
    with tenant_scope(tenant):
        assert list(Lead.objects.values_list("email", flat=True)) == ["anna@example.com"]
