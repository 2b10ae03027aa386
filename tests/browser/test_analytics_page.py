"""In headless Chromium, on a desktop and at 375 px: the analytics page of a demo-like company
(the demo generator's leads over 120 days, worked by its operator) shows the true numbers
(counted here from the leads table), the deltas against the previous 30 days, and every chart
and sparkline drawn; on a phone nothing runs off the screen sideways. Screenshots go to
/tmp/shots/."""

import re

import pytest
from django.db.models import Q
from playwright.sync_api import expect

from apps.analytics.periods import period_parse
from apps.billing.tests.helpers import subscribe
from apps.leads.demo import seed_demo_leads
from apps.leads.models import Lead, LeadStatus
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.browser.support import BROWSER_MARKS, SHOTS, chromium  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
CHARTS = ("chart-channels", "chart-funnel", "chart-ttfc", "chart-trend")


@pytest.fixture
def demo_like(transactional_db):
    tenant = TenantFactory(name="Демо Компания", slug="demo-analytics", time_zone="Europe/Moscow")
    admin = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__name="Анна Админ").user
    operator = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
    subscribe(tenant, "pro")
    with tenant_scope(tenant):
        seed_demo_leads(tenant, admin=admin, operator=operator, count=300)
    return tenant, admin


def _counted(tenant, period) -> dict:
    """The period's numbers straight from the leads table."""
    start, end = period.bounds()
    leads = Lead.objects.for_tenant(tenant).filter(created_at__gte=start, created_at__lt=end)
    booked = leads.filter(status__in=(LeadStatus.BOOKED, LeadStatus.WON)).count()
    contacted = leads.filter(
        Q(first_contact_at__isnull=False)
        | Q(status__in=(LeadStatus.CONTACTED, LeadStatus.BOOKED, LeadStatus.WON))
    ).count()
    return {"leads": leads.count(), "booked": booked, "contacted": contacted}


def _delta(now: int, before: int) -> str:
    return f"{100.0 * (now - before) / before:+.1f} %"


def _open(chromium, live_server, admin, viewport, path):  # noqa: F811
    context = chromium.new_context(locale="ru-RU", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next={path}")
    page.fill('input[name="login"]', admin.email)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))
    # every chart is a Chart.js chart with pixels on its canvas
    page.wait_for_function(
        """(ids) => window.Chart
            && ids.every((id) => window.Chart.getChart(document.getElementById(id)))
            && [...document.querySelectorAll('canvas.sparkline')]
                .every((c) => window.Chart.getChart(c))""",
        arg=list(CHARTS),
    )
    return page


def _drawn(page, selector: str) -> bool:
    """Some pixel of the canvas is painted."""
    return page.evaluate(
        """(sel) => { const c = document.querySelector(sel);
            if (!c.width || !c.height) return false;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
            return false; }""",
        selector,
    )


def _card(page, key: str) -> dict:
    card = page.locator(f'[data-card="{key}"]')
    delta = card.locator(".delta")
    return {
        "value": card.locator(".stat-value").inner_text().strip(),
        "delta": delta.inner_text().strip() if delta.count() else None,
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_analytics_page_shows_true_numbers_deltas_and_charts(
    demo_like,
    live_server,
    chromium,  # noqa: F811
    viewport,
):
    tenant, admin = demo_like
    period = period_parse(tenant, {"period": "30d"})
    now, before = _counted(tenant, period), _counted(tenant, period.previous())
    assert now["leads"] and before["leads"] and now["booked"]  # the data has something to show

    page = _open(chromium, live_server, admin, viewport, f"/t/{tenant.slug}/analytics/?period=30d")
    SHOTS.mkdir(exist_ok=True)
    name = "desktop" if viewport is DESKTOP else "phone"
    page.screenshot(path=str(SHOTS / f"analytics-{name}.png"), full_page=True)

    leads, meetings = _card(page, "leads"), _card(page, "meetings")
    assert leads == {"value": str(now["leads"]), "delta": _delta(now["leads"], before["leads"])}
    assert meetings["value"] == str(now["booked"])
    conversion = f"{100.0 * now['booked'] / now['leads']:.1f}".replace(".", ",")
    assert _card(page, "conversion")["value"] == f"{conversion} %"
    # the channel table adds up to the same leads, contacts and meetings
    columns = page.evaluate(
        """() => [...document.querySelectorAll('[data-table="channels"] tbody tr')].map(
            (tr) => [...tr.querySelectorAll('td')].slice(1, 4).map((td) => Number(td.innerText)))"""
    )
    assert len(columns) >= 3
    assert [sum(column) for column in zip(*columns, strict=True)] == [
        now["leads"],
        now["contacted"],
        now["booked"],
    ]
    # the previous period in the card's own unit (it showed raw seconds), decimals with a comma
    median = page.locator('[data-card="ttfc_median"]').inner_text()
    assert re.search(r"предыдущий период: \d+(,\d)? (дн|ч|мин)", median), median
    assert "." not in _card(page, "ttfc_median")["value"]
    assert page.get_by_label("С", exact=True).count() == 1  # "from" of a date range
    for chart in CHARTS:
        assert _drawn(page, f"#{chart}"), chart
    assert _drawn(page, '[data-card="leads"] canvas.sparkline')
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
