"""End to end in headless Chromium: a visitor sends the widget on a plain page of the
customer's site, picks a meeting time in its last step, and the company's operator sees the
lead as "Встреча назначена" in the dashboard; the "Meetings" page lists it at 375 px."""

from datetime import time

import pytest
from playwright.sync_api import expect

from apps.billing.tests.helpers import subscribe
from apps.booking.models import Booking, BookingSettings
from apps.booking.tests.helpers import local_start
from apps.leads.models import Lead
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, log_in, shoot
from tests.browser.test_widget_embed import chromium_page, host_site, open_host_page  # noqa: F401
from tests.factories import MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def booking_tenant(transactional_db, live_server):
    tenant = TenantFactory(
        name="Acme", allowed_origins=[host_site(live_server)], time_zone="Europe/Moscow"
    )
    subscribe(tenant, "start")  # meeting booking is a tool of the rouble plans
    BookingSettings.objects.create(
        tenant=tenant,
        enabled=True,
        work_days=[0, 1, 2, 3, 4, 5, 6],
        work_from=time(10, 0),
        work_to=time(18, 0),
        slot_minutes=30,
    )
    operator = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
    return tenant, publishable_key_get_or_create(tenant).key, operator


@pytest.mark.django_db(transaction=True)
def test_a_visitor_books_a_meeting_and_the_lead_shows_meeting_booked(
    booking_tenant,
    live_server,
    chromium_page,  # noqa: F811
):
    page = chromium_page
    tenant, key, operator = booking_tenant
    start = local_start()
    iso = start.isoformat().replace("+00:00", "Z")
    # given the widget on the customer's page; the visitor sends it
    open_host_page(page, live_server, key)
    page.get_by_label("Имя").fill("Анна Петрова")
    page.get_by_label("E-mail").fill("anna@example.com")
    page.locator('input[name="consents.processing"]').check()
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator(".fl-thanks")).to_contain_text("Спасибо")

    # when they pick the day and a time in the meeting step
    expect(page.get_by_role("heading", name="Выберите время встречи")).to_be_visible()
    page.get_by_label("Дата").fill(start.date().isoformat())
    slot = page.locator(f'.fl-slot[data-start="{iso}"]')
    expect(slot).to_be_visible()
    shoot(page, "booking-widget-slots-390")
    slot.click()

    # then the widget confirms it, and the lead is booked
    expect(page.locator(".fl-booking .fl-status")).to_contain_text("Встреча назначена")
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        assert lead.status == "booked"
        assert Booking.objects.get().starts_at == start

    # and the operator sees "Встреча назначена" on the lead and the meeting on "Встречи"
    page.context.clear_cookies()
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server, operator.email, f"/t/{tenant.slug}/leads/{lead.pk}/")
    expect(page.get_by_text("Встреча назначена").first).to_be_visible()
    page.goto(f"{live_server.url}/t/{tenant.slug}/booking/")
    expect(page.get_by_role("link", name="Анна Петрова")).to_be_visible()
    expect(page.get_by_role("button", name="Отменить встречу")).to_be_visible()
    shoot(page, "booking-page-375")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
