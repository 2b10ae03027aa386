"""The usage read (overview, billing page, GET …/billing/usage/) vs counting the period's leads.

Figure: GET /api/v1/tenants/{t}/billing/usage/ in-process (API key, whole stack), which reads
the period's meter (apps/billing/usage_counter.py). Yardstick: the COUNT of the period's
leads that the page ran before, bare through the ORM, in the same rounds. The tenant holds
BENCH_USAGE_LEADS leads (default 1,000,000) all inside its unlimited plan's period; the
figure is checked equal to the COUNT first. Goal: p95 < 20 ms whatever the lead count (O(1)).

Standalone: `.venv/bin/python bench/bench_usage.py`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import timedelta

from _common import Summary, report, setup_django, time_ms
from bench_leads_ingest import prepare_database
from bench_leads_list import LEADS as LIST_LEADS
from bench_leads_list import TENANT_SLUG as LIST_SLUG
from bench_leads_list import api_client_for, tenant_with_leads

LEADS = int(os.environ.get("BENCH_USAGE_LEADS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_USAGE_ROUNDS", "30"))
GOAL_P95_MS = 20.0

os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")


def unlimited_for_the_whole_history(tenant):
    """An unlimited plan whose period holds every generated lead (one every 30 s, back)."""
    from django.utils import timezone

    from apps.billing.models import Plan
    from apps.billing.selectors import plans_ensure_seeded
    from apps.billing.services import subscription_activate
    from apps.core.errors import Conflict

    plans_ensure_seeded()
    now = timezone.now()
    start = now - timedelta(seconds=30 * LEADS + 86400)
    # On a rerun the tenant is on it since the first run, whose period holds every lead.
    with contextlib.suppress(Conflict):
        subscription_activate(
            tenant=tenant,
            plan=Plan.objects.get(code="email_unlimited"),
            period_start=start,
            period_end=now + timedelta(days=30),
        )


def main() -> int:
    prepare_database()
    setup_django()
    from apps.billing.lead_counter import leads_created_between
    from apps.billing.plan_limits import plan_limits_get

    # the leads list's million when the sizes agree (generating another takes minutes)
    slug = LIST_SLUG if LEADS == LIST_LEADS else f"bench-usage-{LEADS}"
    tenant = tenant_with_leads(slug, LEADS)
    unlimited_for_the_whole_history(tenant)
    limits = plan_limits_get(tenant)
    client = api_client_for(tenant)
    path = f"/api/v1/tenants/{tenant.pk}/billing/usage/"

    def count() -> int:
        return leads_created_between(tenant, limits.period_start, limits.period_end)

    def read() -> int:
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        return response.json()["used"]

    first = read()  # the meter is counted once here (not exact before), then maintained
    expected = count()
    assert first == expected == LEADS, (first, expected, LEADS)
    reads, counts = [], []
    for _round in range(ROUNDS):  # interleaved: the same load on both sides
        reads.append(time_ms(read))
        counts.append(time_ms(count))
    summary = Summary.of(reads)
    report(
        f"usage: GET billing/usage/ with {LEADS:,} leads in the period vs COUNT, ms",
        figure="GET …/billing/usage/ (the period's meter row), whole stack",
        figure_summary=summary,
        yardstick="SELECT COUNT(*) of the period's leads (what the read ran before)",
        yardstick_summary=Summary.of(counts),
        goal=f"p95 < {GOAL_P95_MS:.0f} ms, equal to the COUNT",
        goal_met=summary.p95 < GOAL_P95_MS and read() == count(),
        note=f"used = {first:,} = COUNT",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
