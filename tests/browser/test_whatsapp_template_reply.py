"""In headless Chromium at 375 px: a lead wrote on WhatsApp two days ago, so the reply box on
the lead page says why free text is refused and offers the channel's approved templates; the
operator picks one, fills its parameters and sends it; the Cloud API (respx, in-process: the
send runs eagerly in the request) receives `type: "template"`, and the thread shows the text.
Screenshot: /tmp/shots/lead-whatsapp-template-phone.png."""

import json
import re
from datetime import timedelta

import pytest
import respx
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from apps.billing.tests.helpers import subscribe
from apps.messaging.conversations import conversation_for
from apps.messaging.models import Direction, Message, MessageStatus
from apps.messaging.tests.fakes import make_channel, make_lead, whatsapp_send_route
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS
PHONE = {"width": 375, "height": 812}
TEMPLATE = {
    "name": "order_ready",
    "language": "ru",
    "body": "Здравствуйте, {{1}}! Ваш заказ {{2}} готов к выдаче.",
    "params": ["1", "2"],
    "named": False,
}


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-whatsapp")
    operator = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
    subscribe(tenant, "start")
    channel = make_channel(tenant, "whatsapp_cloud", name="WhatsApp продаж")
    channel.templates = [TEMPLATE]
    channel.save()
    lead = make_lead(tenant, phone="+79161234567", name="Анна")
    with tenant_scope(tenant):
        Message.objects.create(
            tenant=tenant,
            conversation=conversation_for(tenant, lead),
            lead=lead,
            direction=Direction.IN,
            channel=channel,
            channel_kind="whatsapp",
            address="79161234567",
            body="Когда будет готов заказ?",
            status=MessageStatus.RECEIVED,
            idempotency_key="in:wa:1",
            created_at=timezone.now() - timedelta(days=2),
        )
    return tenant, operator, lead


@pytest.fixture
def chromium(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_outside_the_window_the_operator_sends_an_approved_template(company, live_server, chromium):
    tenant, operator, lead = company
    context = chromium.new_context(locale="ru-RU", viewport=PHONE)
    context.set_default_timeout(20_000)
    page = context.new_page()
    path = f"/t/{tenant.slug}/leads/{lead.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', operator.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))

    box = page.locator("#reply-box")
    expect(box.locator(".reply-window-closed")).to_contain_text("24 часов")
    expect(box.locator("#reply-body")).to_have_count(0)  # no free text
    box.locator('select[name="template"]').select_option("order_ready|ru")
    expect(box.locator(".template-preview")).to_contain_text("Ваш заказ {{2}} готов")
    box.locator('input[name="param_0"]').fill("Анна")
    box.locator('input[name="param_1"]').fill("A-17")
    with respx.mock(assert_all_called=False) as router:
        route = whatsapp_send_route(router)
        box.locator("button[type=submit]").click()
        outgoing = page.locator(".message-out", has_text="Ваш заказ A-17 готов к выдаче")
        expect(outgoing).to_be_visible()
    sent = json.loads(route.calls.last.request.content)
    assert sent["type"] == "template" and sent["template"]["language"] == {"code": "ru"}
    parameters = sent["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Анна", "A-17"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "lead-whatsapp-template-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
