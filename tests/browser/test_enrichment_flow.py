"""End to end in headless Chromium: a company on Pro with a saved (sandbox) card enriches a
list of 200 leads from the dashboard with Claude (a local fake of the Messages API that finds
the company of a corporate address and nothing for a free-mail one), watches the per-lead
statuses move to done through HTMX polling, finds company/website filled on a corporate lead
and "not determined" on a free-mail one, and sees the charge on the billing page: 200 leads
reserved, the 100 with nothing found given back (they are free); a company whose saved card
declines gets the card's reason and nothing is enriched.

The `ai` queue is played by this test: the lead tasks the run queues are collected and run here
in batches between page checks (in the test's own thread, so it works on SQLite and
PostgreSQL alike), which is what lets the page show the statuses moving. Screenshots (desktop
and 375 px) go to /tmp/shots/.
"""

import json
import re
import threading

import pytest
from playwright.sync_api import expect

from apps.ai.client import ManagedLLMClient, provider_adapter
from apps.ai.ratelimit import RateLimiter
from apps.ai.tests.fake_anthropic import FakeAnthropic
from apps.billing.models import Plan, Subscription
from apps.billing.tests.helpers import subscribe
from apps.enrichment.models import LeadEnrichment
from apps.enrichment.services import common
from apps.enrichment.tasks import enrich_lead_task
from apps.enrichment.tests.fixtures import answer
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead, LeadList
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import (  # noqa: F401 (chromium: the fixture)
    BROWSER_MARKS,
    chromium,
    log_in,
    new_page,
    shoot,
)
from tests.factories import MembershipFactory, TenantFactory

LEADS = 200

pytestmark = BROWSER_MARKS


WIDER_THAN_SCREEN = """() => Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > 376)
  .slice(0, 8).map((el) => el.tagName + '.' + el.className)"""


class AiQueue:
    """Stands in for the `ai` queue: collects the lead tasks a run queues (from the live
    server's thread) and runs them on demand in the test's thread."""

    def __init__(self):
        self.pending: list[tuple] = []
        self.lock = threading.Lock()

    def apply_async(self, args=(), kwargs=None, **options):
        with self.lock:
            self.pending.append(tuple(args))

    def run(self, count: int | None = None) -> int:
        with self.lock:
            batch = self.pending[:count] if count else list(self.pending)
            del self.pending[: len(batch)]
        for args in batch:
            enrich_lead_task.apply(args=args)
        return len(batch)


class CompanyFinder(FakeAnthropic):
    """Claude as this test needs it: a corporate address gives its company and website,
    a free-mail one nothing."""

    def default_reply(self, request):
        found = re.search(r"lead\d+@(firm\d+\.ru)", json.dumps(request.body))
        if found:
            domain = found.group(1)
            output = answer(company=(domain, 0.95), website=(f"https://{domain}", 0.9))
        else:
            output = answer(
                company=(None, 0.1),
                website=(None, 0.1),
                industry=(None, 0.1),
                company_size=(None, 0.1),
                pain_point_hypothesis=(None, 0.1),
            )
        return self.message_reply(output)


@pytest.fixture
def ai_queue(monkeypatch, settings):
    fake = CompanyFinder()
    fake.__enter__()
    settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
    settings.ANTHROPIC_BASE_URL = fake.base_url
    settings.ANTHROPIC_MODEL = "claude-sonnet-4-6"
    limiter = RateLimiter(requests_per_window=0, backend=None)
    monkeypatch.setattr(
        common,
        "enrichment_client",
        lambda: ManagedLLMClient(provider_adapter("anthropic"), limiter=limiter),
    )
    queue = AiQueue()
    monkeypatch.setattr(enrich_lead_task, "apply_async", queue.apply_async)
    yield queue
    fake.__exit__(None, None, None)


def company_with_list(name: str, slug: str, card: str, count: int):
    """A Pro company with a sandbox saved card, an admin, and a list of `count` leads: even
    ones with a corporate e-mail, odd ones with gmail."""
    # A flush between transactional tests re-seeds the plans without their paid-action
    # settings (billing migration 0006): set Pro's price per lead as the seed has it.
    Plan.objects.filter(code="pro").update(enrichment_price_amount=1000, usage_billing="prepaid")
    tenant = TenantFactory(name=name, slug=slug)
    user = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__name="Анна Админ").user
    subscription = subscribe(tenant, "pro")
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id=card
    )
    items = [
        {
            "email": f"lead{i}@firm{i}.ru" if i % 2 == 0 else f"lead{i}@gmail.com",
            "name": f"Лид {i:03d}",
        }
        for i in range(count)
    ]
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    assert outcome.summary["rejected"] == 0
    with tenant_scope(tenant):
        webinar = LeadList.objects.create(tenant=tenant, name="Весенний вебинар")
        Lead.objects.filter(pk__in=[r.lead_id for r in outcome.results]).update(list=webinar)
    return tenant, user, webinar


@pytest.fixture
def paying_company(transactional_db):
    return company_with_list("Ромашка", "romashka", "sandbox_card_ok_4242", LEADS)


@pytest.fixture
def declining_company(transactional_db):
    return company_with_list("Василёк", "vasilek", "sandbox_card_decline_0002", 5)


def open_confirmation(page, webinar) -> None:
    page.locator(f"#list-{webinar.pk} [data-enrich-button]").click()
    page.locator("#enrichment-confirm [data-enrich-start]").wait_for()


# The page polls through the live server while the test's worker writes the same rows: two
# threads on SQLite's in-memory test database collide on its table locks ("database table is
# locked"); PostgreSQL (CI) runs it with real concurrency.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enrich_a_list_of_200_leads_and_see_the_charge(
    paying_company,
    ai_queue,
    live_server,
    chromium,  # noqa: F811
):
    tenant, user, webinar = paying_company
    page = new_page(chromium, 1366, timeout=20_000)

    # given an admin on the lists page
    log_in(page, live_server, user.email, f"/t/{tenant.slug}/leads/lists/")
    expect(page.locator(f"#list-{webinar.pk}")).to_contain_text("200")

    # when they ask to enrich the list, the confirmation shows the count and the price
    open_confirmation(page, webinar)
    confirm = page.locator("#enrichment-confirm")
    expect(confirm.locator('[data-preview="selected"]')).to_have_text("200")
    expect(confirm.locator('[data-preview="billable"]')).to_have_text("200")
    expect(confirm.locator('[data-preview="skipped"]')).to_have_text("0")
    expect(confirm.locator('[data-preview="price"]')).to_contain_text(re.compile(r"2\s?000,00 RUB"))
    shoot(page, "enrich-confirm-desktop")

    # and start it: off to the run page, every lead waiting for the worker
    confirm.locator("[data-enrich-start]").click()
    expect(page).to_have_url(re.compile(r"/leads/enrichment/[0-9a-f-]{36}/$"))
    run_box = page.locator("#enrichment-run")
    expect(run_box.locator('[data-count="pending"]')).to_have_text("200")
    expect(run_box).to_have_attribute("hx-trigger", "every 2s")
    expect(page.locator("[data-run='reserved']")).to_contain_text(re.compile(r"2\s?000,00"))
    shoot(page, "enrich-run-waiting-desktop")
    page.evaluate("window.__samePage = true")

    # then the statuses move as the worker goes (the page polls; no reload)
    assert ai_queue.run(80) == 80
    expect(run_box.locator('[data-count="pending"]')).to_have_text("120", timeout=60_000)
    # the item statuses and the run's counters are two reads: wait until a poll shows both
    done = """() => ["enriched", "nothing_found"].reduce((sum, key) => sum + Number(
        document.querySelector(`#enrichment-run [data-count="${key}"]`).textContent), 0)"""
    page.wait_for_function(f"() => ({done})() === 80", timeout=60_000)
    enriched = int(run_box.locator('[data-count="enriched"]').inner_text())
    nothing = int(run_box.locator('[data-count="nothing_found"]').inner_text())
    assert enriched + nothing == 80 and enriched and nothing
    expect(page.locator("[data-progress]")).to_contain_text("80")
    shoot(page, "enrich-run-progress-desktop")
    assert ai_queue.run() == 120
    expect(page.locator("#enrichment-run")).to_have_attribute(
        "data-run-status", "done", timeout=60_000
    )
    run_box = page.locator("#enrichment-run")
    expect(run_box.locator('[data-count="enriched"]')).to_have_text("100")
    expect(run_box.locator('[data-count="nothing_found"]')).to_have_text("100")
    expect(run_box.locator('[data-count="failed"]')).to_have_text("0")
    expect(run_box).not_to_have_attribute("hx-trigger", re.compile(".*"))  # polling stopped
    assert page.evaluate("window.__samePage") is True
    expect(page.locator("tr[data-item-status]")).to_have_count(50)  # a page of rows
    shoot(page, "enrich-run-done-desktop")
    run_url = page.url
    # 200 reserved, the 100 with nothing found given back at the settle: 100 × 10 RUB paid
    expect(page.locator("[data-run='charge']")).to_contain_text(re.compile(r"1\s?000,00"))

    # and a corporate lead has its company and website, a free-mail one "not determined"
    with tenant_scope(tenant):
        corporate = Lead.objects.get(email="lead0@firm0.ru")
        free = Lead.objects.get(email="lead1@gmail.com")
    page.goto(f"{live_server.url}/t/{tenant.slug}/leads/{corporate.pk}/")
    expect(page.locator(".field-grid")).to_contain_text("firm0.ru")
    expect(page.locator(".timeline-enriched").first).to_be_visible()
    shoot(page, "enrich-lead-corporate-desktop")
    page.goto(f"{live_server.url}/t/{tenant.slug}/leads/{free.pk}/")
    expect(page.locator('[data-not-determined="company"]')).to_be_visible()
    expect(page.locator('[data-not-determined="website"]')).to_be_visible()
    shoot(page, "enrich-lead-free-mail-desktop")

    # and the table offers it for a selection: unchanged since this run, both are skipped
    page.goto(f"{live_server.url}/t/{tenant.slug}/leads/")
    page.locator("[data-row-check]").nth(0).check()
    page.locator("[data-row-check]").nth(1).check()
    page.locator("[data-enrich-selected]").click()
    confirm = page.locator("#enrichment-confirm")
    expect(confirm.locator('[data-preview="selected"]')).to_have_text("2")
    expect(confirm.locator('[data-preview="skipped"]')).to_have_text("2")
    expect(confirm.locator("[data-enrich-nothing]")).to_be_visible()
    shoot(page, "enrich-table-confirm-desktop")

    # and the billing page lists the charge, what was given back, and links to the run
    page.goto(f"{live_server.url}/t/{tenant.slug}/billing/")
    charges = page.locator("#usage-charges")
    expect(charges.locator("tr[data-charge]")).to_have_count(1)
    expect(charges.locator("[data-charge-amount]")).to_contain_text(re.compile(r"2\s?000,00"))
    expect(charges).to_contain_text("200")
    expect(charges.locator("tr[data-charge]")).to_contain_text(re.compile(r"1\s?000,00"))
    shoot(page, "enrich-billing-desktop")
    charges.locator("a[data-charge-reference]").click()
    expect(page).to_have_url(run_url)
    assert page.console_errors == []

    # and on a phone the run page stays usable
    phone = new_page(chromium, 375, timeout=20_000)
    log_in(phone, live_server, user.email, run_url.removeprefix(live_server.url))
    expect(phone.locator('[data-count="enriched"]')).to_have_text("100")
    wide = phone.evaluate(WIDER_THAN_SCREEN)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, wide
    shoot(phone, "enrich-run-375")


@pytest.mark.django_db(transaction=True)
def test_a_declined_card_stops_the_run_before_anything_is_enriched(
    declining_company,
    ai_queue,
    live_server,
    chromium,  # noqa: F811
):
    tenant, user, webinar = declining_company
    page = new_page(chromium, 1366, timeout=20_000)
    log_in(page, live_server, user.email, f"/t/{tenant.slug}/leads/lists/")

    # when they confirm the enrichment of the list
    open_confirmation(page, webinar)
    page.locator("#enrichment-confirm [data-enrich-start]").click()

    # then the card's reason is shown and nothing was queued or enriched
    error = page.locator("[data-enrich-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"(declined|отклонена)", re.I))
    shoot(page, "enrich-declined-desktop")
    assert ai_queue.pending == []
    with tenant_scope(tenant):
        assert not LeadEnrichment.objects.filter(status="enriched").exists()
        assert not Lead.objects.exclude(company="").exists()
    assert page.console_errors == [] or all("402" in e for e in page.console_errors)
