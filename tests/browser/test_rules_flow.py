"""End to end in headless Chromium (issue 16, "Done when"): an operator builds "SMS a lead that
has not been answered in 2 hours" in the rule editor without writing JSON (a condition row:
lead.first_contact_at is not set; a 120-minute delay; once per lead), sends a test event for a
lead from the editor and sees it fire, sends it again and sees it suppressed by the "once"
limit, and the lead's "why was this sent" card explains both. The outbox's send task is not
run (no SMS provider here): the message is queued in the outbox, which is what the rule does.
Screenshots (desktop and 375 px) go to /tmp/shots/."""

import re

import pytest
from playwright.sync_api import expect

from apps.billing.tests.helpers import subscribe
from apps.messaging import outbox
from apps.messaging.models import Message
from apps.messaging.rules.models import Decision, Rule
from apps.messaging.rules.tests.conftest import connect
from apps.messaging.rules.tests.helpers import lead_make
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401 (fixture)
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka-rules")
    operator = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
    subscribe(tenant, "start")
    with tenant_scope(tenant):
        connect(tenant, "sms", "smsc")
        lead = lead_make(tenant, phone="+79990002233")
    return tenant, operator, lead


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_operator_builds_the_2_hour_nudge_sees_it_fire_then_suppressed(
    company,
    live_server,
    chromium,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    tenant, operator, lead = company
    monkeypatch.setattr(outbox.send_message_task, "delay", lambda *args, **kwargs: None)
    context = chromium.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    base = f"{live_server.url}/t/{tenant.slug}/rules/"

    # given: the operator signs in and writes the message template
    page.goto(f"{live_server.url}/accounts/login/?next={base}templates/new/")
    page.fill('input[name="login"]', operator.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(r"/templates/new/$"))
    page.fill('input[name="key"]', "nudge")
    page.fill('input[name="name"]', "Напоминание")
    page.fill('textarea[name="body_ru"]', "{{ lead.name }}, мы вам перезвоним!")
    page.locator("#template-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/rules/templates/$"))

    # when: the rule is built in the editor: a condition row, no JSON
    page.goto(f"{base}new/")
    page.fill('input[name="code"]', "NUDGE_2H")
    page.fill('input[name="name"]', "SMS лиду без ответа 2 часа")
    page.check('input[name="enabled"]')
    page.fill('input[name="trigger"]', "lead.created")
    page.get_by_role("button", name="Добавить условие").click()
    page.fill('input[name="cond-0-subject"]', "lead.first_contact_at")
    page.select_option('select[name="cond-0-op"]', "not_exists")
    page.select_option('select[name="action"]', "send")
    page.select_option('select[name="template"]', label="Напоминание")
    page.select_option('select[name="channel"]', "sms")
    page.select_option('select[name="once_per"]', "ever")
    page.fill('input[name="delay_minutes"]', "120")
    page.locator("#rule-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/rules/\d+/$"))
    rule = Rule.objects.unscoped().get(tenant=tenant, code="NUDGE_2H")
    assert rule.current.conditions == {
        "all": [{"field": "lead.first_contact_at", "op": "exists", "value": False}]
    }
    expect(page.locator('input[name="cond-0-subject"]')).to_have_value("lead.first_contact_at")
    shoot(page, "rule-editor-desktop")

    # then: a test event for the lead, created 3 hours ago, fires the rule
    page.fill('input[name="lead_id"]', str(lead.pk))
    page.fill('input[name="hours_ago"]', "3")
    send = page.get_by_role("button", name="Отправить тестовое событие")
    send.click()
    expect(page.locator("#try-result")).to_contain_text("Сработало, в очереди")
    assert Message.objects.unscoped().filter(tenant=tenant, lead=lead).count() == 1

    # and the same test again is suppressed by "once per lead", naming the first decision
    send.click()
    expect(page.locator("#try-result")).to_contain_text("Подавлено")
    expect(page.locator("#try-result")).to_contain_text("один раз на адресата")
    assert Message.objects.unscoped().filter(tenant=tenant, lead=lead).count() == 1
    outcomes = Decision.objects.unscoped().filter(rule=rule).order_by("id")
    assert [d.outcome for d in outcomes] == ["queued", "suppressed"]

    # the lead's "why was this sent" card (a fragment of the lead page) explains both
    card = page.request.get(f"{live_server.url}/t/{tenant.slug}/leads/{lead.pk}/why/").text()
    assert card.count("NUDGE_2H") == 2

    # the editor at a phone's width
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{base}{rule.pk}/")
    expect(page.locator('input[name="cond-0-subject"]')).to_be_visible()
    shoot(page, "rule-editor-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == []
