"""The usage counter (apps/billing/usage_counter.py): the period's meter, kept by every
reservation, shows the same number as counting the period's leads, read in O(1)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from apps.billing.models import UsageMeter
from apps.billing.plan_limits import plan_limits_get
from apps.billing.selectors import usage_current
from apps.billing.services import usage_periods_roll
from apps.billing.tests.helpers import subscribe
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.leads.services import lead_delete
from apps.leads.tests.conftest import make_leads, url

pytestmark = pytest.mark.django_db

PLANS = ["email_unlimited", "email_2500", "pro"]
MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def used(tenant) -> int:
    return usage_current(tenant, plan_limits_get(tenant)).used


def counted(tenant) -> int:
    """What the usage page showed before the counter: the period's leads, counted."""
    limits = plan_limits_get(tenant)
    return (
        Lead.objects.for_tenant(tenant)
        .filter(created_at__gte=limits.period_start, created_at__lt=limits.period_end)
        .count()
    )


def emails(*names) -> list[dict]:
    return [{"email": f"{name}@example.com"} for name in names]


@pytest.mark.parametrize("code", PLANS)
def test_single_creates_through_the_api_are_counted(operator_api, tenant, code):
    subscribe(tenant, code)
    for name in ("a", "b", "c", "a"):  # the second a@ merges
        response = operator_api.post(
            url("api-leads", tenant), {"email": f"{name}@example.com"}, format="json"
        )
        assert response.status_code in (200, 201)
    assert used(tenant) == counted(tenant) == 3
    response = operator_api.get(url("api-billing-usage", tenant))
    assert response.status_code == 200 and response.json()["used"] == 3


@pytest.mark.parametrize("code", PLANS)
def test_a_batch_with_duplicates_counts_only_the_new_leads(tenant, code):
    subscribe(tenant, code)
    make_leads(tenant, emails("old1", "old2"))
    items = emails(*(f"n{i}" for i in range(8))) + emails("old1", "old2", "n1", "N2")
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    assert outcome.count("created") == 8 and outcome.count("merged") == 4
    assert used(tenant) == counted(tenant) == 10


def test_an_import_is_counted(tenant):
    subscribe(tenant, "email_unlimited")
    make_leads(tenant, emails("x"))
    ingest_leads(tenant=tenant, items=emails("x", "y", "z", "y"), source="import")
    assert used(tenant) == counted(tenant) == 3


@pytest.mark.parametrize("code", PLANS)
def test_deleting_a_lead_does_not_give_it_back(tenant, code):
    """Usage is what was taken in this period (the hard limit's rule, now on every plan)."""
    subscribe(tenant, code)
    first, _second = make_leads(tenant, emails("a", "b"))
    assert used(tenant) == counted(tenant) == 2
    lead_delete(tenant=tenant, actor=None, lead_id=first)
    assert counted(tenant) == 1
    assert used(tenant) == 2


def test_a_rejected_item_is_not_counted(tenant):
    subscribe(tenant, "email_unlimited")
    outcome = ingest_leads(
        tenant=tenant, items=[*emails("a"), {"email": "not-an-email"}], source="api"
    )
    assert outcome.count("rejected") == 1
    assert used(tenant) == counted(tenant) == 1


@pytest.mark.parametrize("code", ["email_unlimited", "email_2500"])
def test_a_new_period_starts_from_zero_and_keeps_the_old_one(tenant, code):
    with time_machine.travel(MARCH, tick=False):
        subscribe(tenant, code, period_start=MARCH, period_end=MARCH + timedelta(days=30))
        make_leads(tenant, emails("a", "b", "c"))
        assert used(tenant) == counted(tenant) == 3
    with time_machine.travel(MARCH + timedelta(days=31), tick=False):
        usage_periods_roll()
        assert used(tenant) == counted(tenant) == 0
        make_leads(tenant, emails("d", "a"))  # a@ merges into March's lead
        assert used(tenant) == counted(tenant) == 1
    history = list(
        UsageMeter.objects.for_tenant(tenant)
        .order_by("period_start")
        .values_list("leads_used", flat=True)
    )
    assert history == [3, 1]


def test_a_meter_not_yet_exact_is_counted_once_then_read_in_one_query(
    tenant, django_assert_num_queries
):
    """Meters of unlimited plans from before the counter (the migration marks them)."""
    subscribe(tenant, "email_unlimited")
    make_leads(tenant, emails("a", "b", "c"))
    UsageMeter.objects.for_tenant(tenant).update(leads_used=0, exact=False)
    limits = plan_limits_get(tenant)
    assert usage_current(tenant, limits).used == 3  # counted once
    make_leads(tenant, emails("d"))
    with django_assert_num_queries(1):  # the meter row, no count of the leads
        assert usage_current(tenant, limits).used == 4
    assert counted(tenant) == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", ["email_unlimited", "email_2500"])
def test_concurrent_batches_and_a_first_count_agree_with_the_count(tenant, code):
    subscribe(tenant, code)
    make_leads(tenant, emails("seed"))
    UsageMeter.objects.for_tenant(tenant).update(leads_used=0, exact=False)
    workers = 6
    barrier, errors = threading.Barrier(workers + 1), []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            items = emails(*(f"w{n}-{i}" for i in range(20)), "seed", "shared")
            ingest_leads(tenant=tenant, items=items, source="api")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def read() -> None:
        try:
            barrier.wait()
            used(tenant)  # the first, counting read races the batches
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(workers)]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert counted(tenant) == 1 + workers * 20 + 1
    assert used(tenant) == counted(tenant)
