"""In headless Chromium: a support ticket posted to the helpdesk webhook becomes an upsell
case (Claude: the local fake), staff open it in the Django admin, edit the e-mail and
approve; the fake SendGrid receives the edited e-mail and the fake HYROCALL the call; the
call's signed outcome webhook brings the case to done, and the lead page shows it all.
The tenant's own queue is checked on a phone (375 px). Screenshots in /tmp/shots/."""

import json
import re
import time

import httpx
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from apps.ai.tests.fake_anthropic import FakeAnthropic
from apps.billing.tests.helpers import subscribe
from apps.channels.providers import sendgrid
from apps.channels.tests.fake_sendgrid import FakeSendGrid
from apps.messaging.tests.fakes import make_channel
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from apps.upsell.helpdesk import GENERIC_HEADER, generic_signature
from apps.upsell.models import CaseStatus, UpsellCase
from apps.upsell.services.configuration import (
    catalogue_add,
    upsell_settings_get,
    webhook_secret_rotate,
)
from apps.upsell.tests.conftest import draft_answer, high, ticket
from apps.upsell.tests.fake_hyrocall import API_KEY, WEBHOOK_SECRET, FakeHyrocall
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory
from tests.staff import totp_code

pytestmark = BROWSER_MARKS
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
# The elements sticking out on a phone, named in a failure.
WIDEST = (
    "[...document.querySelectorAll('body *')]"
    ".filter(e => e.getBoundingClientRect().right > 376)"
    ".slice(0, 8).map(e => e.tagName + '.' + e.className)"
)
EDITED = "Иван, тариф Business снимает лимит. Письмо поправлено вручную."


@pytest.fixture
def fakes(settings, monkeypatch):
    with FakeAnthropic() as claude, FakeHyrocall() as calls, FakeSendGrid() as mail:
        settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
        settings.ANTHROPIC_BASE_URL = claude.base_url
        settings.AI_RETRY_MAX_ATTEMPTS = 1
        settings.HYROCALL_API_KEY = API_KEY
        settings.HYROCALL_BASE_URL = calls.base_url
        settings.HYROCALL_WEBHOOK_SECRET = WEBHOOK_SECRET
        monkeypatch.setattr(sendgrid, "API", mail.url)
        yield claude, calls, mail


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-upsell")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "business")
    make_channel(tenant, "sendgrid")
    catalogue_add(tenant, product="Fast Lead", tier="Business", description="no limit")
    secret = webhook_secret_rotate(tenant)
    token = upsell_settings_get(tenant).webhook_token
    return tenant, admin, secret, token


@pytest.fixture(autouse=True)
def _one_step_of_clock_slack(settings):
    """A code computed just before a 30-second step ends is checked just after it."""
    settings.MFA_TOTP_TOLERANCE = 1


def _login(page, base, path, email, secret=None):
    """Sign in with the password; staff then give the authenticator app's code (allauth.mfa)."""
    page.goto(f"{base}{path}")
    page.fill('input[name="username"], input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    if secret is None:
        return
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill('input[name="code"]', totp_code(secret, time.time()))
    page.press('input[name="code"]', "Enter")


@pytest.mark.django_db(transaction=True)
def test_staff_approve_an_upsell_case_in_admin_and_the_outreach_runs(
    company,
    fakes,
    live_server,
    chromium,  # noqa: F811
):
    tenant, admin, secret, token = company
    claude, calls, mail = fakes
    claude.ok(high()).ok(draft_answer())
    staff = UserFactory(is_staff=True, is_superuser=True, email="staff@fastlead.test")
    staff_secret = generate_totp_secret()
    TOTP.activate(staff, staff_secret)

    # a ticket arrives from the helpdesk
    body = json.dumps(ticket()).encode()
    answer = httpx.post(
        f"{live_server.url}/webhooks/helpdesk/{token}/",
        timeout=60,
        content=body,
        headers={
            "Content-Type": "application/json",
            GENERIC_HEADER: generic_signature(secret, body),
        },
    )
    assert answer.status_code == 202, answer.text
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
    assert case.status == CaseStatus.AWAITING_APPROVAL

    # staff open the queue in the admin, edit the e-mail, approve
    context = chromium.new_context(locale="ru-RU", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _login(
        page,
        live_server.url,
        "/admin/login/?next=/admin/upsell/upsellcase/",
        staff.email,
        staff_secret,
    )
    expect(page).to_have_url(re.compile("/admin/upsell/upsellcase/"))
    page.locator(f'a[href*="/upsellcase/{case.pk}/change/"]').first.click()
    expect(page.locator("body")).to_contain_text("2,000-lead limit")
    page.fill('textarea[name="email_body"]', EDITED)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "upsell-admin-case.png"), full_page=True)
    page.click("#upsell-approve")
    expect(page).to_have_url(re.compile("/admin/upsell/upsellcase/"))

    # the e-mail went out through the tenant's channel, the call was requested
    assert len(mail.sent) == 1 and EDITED in json.dumps(mail.sent[0], ensure_ascii=False)
    assert len(calls.calls) == 1 and calls.calls[0]["phone"] == "+79161234567"
    with tenant_scope(tenant):
        case.refresh_from_db()
    assert case.status == CaseStatus.CALL_PLACED and case.decided_by == staff

    # HYROCALL reports the outcome
    outcome, headers = calls.outcome(case.call_external_id, "answered", summary="Готов перейти")
    answer = httpx.post(
        f"{live_server.url}/webhooks/hyrocall/",
        timeout=60,
        content=outcome,
        headers={"Content-Type": "application/json", **headers},
    )
    assert answer.json() == {"status": "recorded"}
    page.goto(f"{live_server.url}/admin/upsell/upsellcase/{case.pk}/change/")
    expect(page.locator("body")).to_contain_text("call_placed → done")
    context.close()

    # the tenant admin sees the outreach on the lead page and the queue, on a phone
    phone = chromium.new_context(locale="ru-RU", viewport=PHONE)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    lead_path = f"/t/{tenant.slug}/leads/{case.lead_id}/"
    _login(page, live_server.url, f"/accounts/login/?next={lead_path}", admin.email)
    expect(page).to_have_url(re.compile(re.escape(lead_path)))
    block = page.locator("#lead-upsell")
    expect(block.locator("[data-email]")).to_have_attribute("data-email", "queued")
    expect(block.locator("[data-call]")).to_have_attribute("data-call", "answered")
    expect(block).to_contain_text("Готов перейти")
    page.screenshot(path=str(SHOTS / "upsell-lead-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDEST
    )
    page.goto(f"{live_server.url}/t/{tenant.slug}/upsell/")
    expect(page.locator(f"#case-{case.pk}")).to_be_visible()
    page.screenshot(path=str(SHOTS / "upsell-queue-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDEST
    )
    page.goto(f"{live_server.url}/t/{tenant.slug}/upsell/{case.pk}/")
    expect(page.locator("#draft-source")).to_have_attribute("data-draft", "ai")
    page.screenshot(path=str(SHOTS / "upsell-case-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDEST
    )
    # the upsell was sold: the tenant admin marks the case won, with the amount, on the phone
    page.fill('#won input[name="amount"]', "19990.50")
    page.fill('#won input[name="currency"]', "RUB")
    page.click('#won button[name="won"]')
    expect(page.locator("#case-won")).to_contain_text("RUB")
    page.screenshot(path=str(SHOTS / "upsell-case-won-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        WIDEST
    )
    with tenant_scope(tenant):
        case.refresh_from_db()
    assert (case.status, case.won_amount, case.won_currency) == ("won", 1999050, "RUB")
    phone.close()
