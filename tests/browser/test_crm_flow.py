"""In headless Chromium, on a phone (375 px) and a desktop: an admin connects Bitrix24 (a local
fake) on "Integrations → CRM" by its incoming webhook, sees the pipeline and the status and
field mappings, and a new lead shows in the sync log as a deal created in the CRM.
Screenshots in /tmp/shots/."""

import re

import pytest
from playwright.sync_api import expect

from apps.billing.tests.helpers import subscribe
from apps.integrations.crm.providers import base
from apps.integrations.tests.fake_crm import FakeBitrix24
from apps.leads.ingestion import ingest_leads
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def bitrix(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setattr(base, "RETRY", base.RetryPolicy(max_attempts=1))
    with FakeBitrix24() as fake:
        yield fake


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-crm")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "business")
    return tenant, admin


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_connect_bitrix24_and_see_a_lead_become_a_deal(
    company,
    bitrix,
    live_server,
    chromium,  # noqa: F811
    label,
    viewport,
):
    tenant, admin = company
    path = f"/t/{tenant.slug}/crm/"
    context = chromium.new_context(locale="ru-RU", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))
    page.screenshot(path=str(SHOTS / f"crm-connect-{label}.png"), full_page=True)

    page.fill('input[name="webhook_url"]', bitrix.webhook_url)
    page.fill('input[name="application_token"]', bitrix.app_token)
    page.get_by_role("button", name="Подключить Битрикс24").click()
    expect(page.locator("#crm-state")).to_have_text("Подключён")
    expect(page.locator("#crm")).to_contain_text("Общая")

    with tenant_scope(tenant):
        ingest_leads(
            tenant=tenant, items=[{"email": "anna@example.com", "name": "Анна"}], source="api"
        )
    page.reload()
    expect(page.locator("#crm-log")).to_contain_text("создана")
    assert len(bitrix.deals) == 1
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    page.screenshot(path=str(SHOTS / f"crm-connected-{label}.png"), full_page=True)
    assert not overflow
    context.close()
