"""In headless Chromium, on a phone (375 px) and a desktop: an admin exports a lead's personal
data from the lead page (a ZIP of JSON and CSV) and then erases it after the confirmation page;
the lead page says so and the database no longer holds the person; the company's privacy page
and the closing confirmation fit the screen. Screenshots in /tmp/shots/."""

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.billing.tests.helpers import subscribe
from apps.leads.models import Lead
from apps.privacy.tests.seed import make_canary, seed_lead
from apps.tenants.roles import Role
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-privacy")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    subscribe(tenant, "pro")
    canary = make_canary()
    return tenant, admin, seed_lead(tenant, canary), canary


def _shot(page, name, viewport):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_export_then_erase_a_lead_from_its_page(
    company,
    live_server,
    chromium,  # noqa: F811
    label,
    viewport,
):
    tenant, admin, lead, canary = company
    path = f"/t/{tenant.slug}/leads/{lead.pk}/"
    context = chromium.new_context(locale="ru-RU", viewport=viewport, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))
    card = page.locator(".privacy-card")
    card.scroll_into_view_if_needed()
    _shot(page, f"privacy-lead-{label}.png", viewport)

    # the export: a ZIP with the lead's data as JSON and CSV
    with page.expect_download() as info:
        card.get_by_role("button", name="Выгрузить данные").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    json_name = next(n for n in archive.namelist() if n.endswith(".json"))
    data = json.loads(archive.read(json_name))
    assert data["leads.lead"]["rows"][0]["email"] == canary["email"]
    assert "messaging.message" in data

    # the erasure, after its confirmation page
    card.get_by_role("link", name="Удалить данные…").click()
    expect(page.locator("h1")).to_contain_text("Удаление персональных данных")
    _shot(page, f"privacy-erase-{label}.png", viewport)
    page.get_by_label(re.compile("Я понимаю")).check()
    page.locator("#erase-confirm").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("body")).to_contain_text("Персональные данные лида удалены")
    expect(page.locator("#processing-refused")).to_be_visible()
    _shot(page, f"privacy-erased-{label}.png", viewport)

    erased = Lead.objects.unscoped().get(pk=lead.pk)
    assert erased.email == "" and canary["token"] not in erased.name

    # the company's page: retention, the export of everything, the way to close it
    page.goto(f"{live_server.url}/t/{tenant.slug}/privacy/")
    expect(page.locator("h1")).to_contain_text("Данные и конфиденциальность")
    _shot(page, f"privacy-page-{label}.png", viewport)
    page.get_by_role("link", name="Закрыть компанию…").click()
    expect(page.locator("input[name=confirm_slug]")).to_be_visible()
    _shot(page, f"privacy-close-{label}.png", viewport)
    context.close()
