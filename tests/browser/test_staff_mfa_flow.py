"""In headless Chromium: a staff member opens the staff console, is sent to the sign-in, gives
the password and then the code of the authenticator app (allauth.mfa, TOTP), and gets in;
they open a lead of a company, and that company's admin sees it on the "Staff access" page on
a phone (375 px). Screenshots in /tmp/shots/."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from playwright.sync_api import expect

from apps.leads.models import Lead
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _one_step_of_clock_slack(settings):
    """A code computed just before a 30-second step ends is checked just after it: accept
    the neighbouring step, as an app's clock drift would need (allauth's default is 0)."""
    settings.MFA_TOTP_TOLERANCE = 1


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in(page, base: str, next_path: str, email: str) -> None:
    page.goto(f"{base}{next_path}")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")


@pytest.mark.django_db(transaction=True)
def test_staff_sign_in_with_a_totp_code_and_the_company_sees_the_access(
    live_server,
    chromium,  # noqa: F811
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tenant = TenantFactory(name="Ромашка", slug="romashka-staff")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    lead = Lead.objects.create(
        tenant=tenant,
        person_key="e:anna@example.com",
        identity_key="e:anna@example.com",
        email="anna@example.com",
        name="Анна",
        source="api",
    )
    staff = UserFactory(is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    # the staff console sends to the sign-in, which asks for the code after the password
    context = chromium.new_context(locale="ru-RU", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill('input[name="login"]', staff.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.screenshot(path=str(SHOTS / "staff-mfa-code.png"), full_page=True)
    page.fill('input[name="code"]', _code(secret))
    page.press('input[name="code"]', "Enter")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    # then they open the company's lead
    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")
    expect(page.locator("body")).to_contain_text("anna@example.com")
    context.close()

    # the company's admin sees it on a phone
    context = chromium.new_context(locale="ru-RU", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    path = f"/t/{tenant.slug}/settings/staff-access/"
    _sign_in(page, live_server.url, f"/accounts/login/?next={path}", admin.email)
    expect(page).to_have_url(re.compile(re.escape(path)))
    table = page.locator("[data-staff-access]")
    expect(table).to_contain_text(staff.email)
    expect(table).to_contain_text(f"#{lead.pk}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 375 px ({width} px)"
    page.screenshot(path=str(SHOTS / "staff-access-phone.png"), full_page=True)
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_tenant_user_turns_on_totp_from_the_profile_on_a_phone(
    live_server,
    chromium,  # noqa: F811
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tenant = TenantFactory(name="Ромашка", slug="romashka-2fa")
    user = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
    context = chromium.new_context(locale="ru-RU", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, live_server.url, "/accounts/login/?next=/profile/", user.email)
    expect(page).to_have_url(re.compile(r"/profile/$"))
    page.click("[data-mfa-link]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    page.screenshot(path=str(SHOTS / "mfa-index-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:  # allauth asks for the password before the change
        page.fill('input[name="password"]', PASSWORD)
        page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.screenshot(path=str(SHOTS / "mfa-activate-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 375 px ({width} px)"
    page.fill('input[name="code"]', _code(secret))
    page.press('input[name="code"]', "Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    page.screenshot(path=str(SHOTS / "mfa-recovery-codes-phone.png"), full_page=True)
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    context.close()
