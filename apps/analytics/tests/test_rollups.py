"""Rollups: kept by the events leads emits, equal to a recount; time zone day boundaries."""

from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from apps.analytics import tasks
from apps.analytics.models import DailyLeadStats
from apps.analytics.rollups import COUNTERS, day_recount, range_refresh
from apps.analytics.tests.conftest import NOW, make_lead
from apps.leads.events import LeadsCreated
from apps.leads.ingestion.service import ingest_leads
from apps.leads.models import Lead, LeadStatus, Source
from apps.leads.services import lead_update, leads_bulk

pytestmark = pytest.mark.django_db


def _stored(tenant) -> dict:
    return {
        (r.day, r.source, r.list_id): tuple(getattr(r, c) for c in COUNTERS)
        for r in DailyLeadStats.objects.for_tenant(tenant)
    }


def _recounted(tenant) -> dict:
    days = set(DailyLeadStats.objects.for_tenant(tenant).values_list("day", flat=True))
    out = {}
    for day in days:
        for r in day_recount(tenant, day):
            out[(r.day, r.source, r.list_id)] = tuple(getattr(r, c) for c in COUNTERS)
    return out


def test_events_keep_rollups_equal_to_a_recount(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest_leads(
            tenant=tenant,
            items=[{"email": f"a{i}@example.com"} for i in range(5)],
            source=Source.API,
        )
        ingest_leads(tenant=tenant, items=[{"email": "w@example.com"}], source=Source.WIDGET)
    row = DailyLeadStats.objects.for_tenant(tenant).get(source=Source.API)
    assert (row.created, row.contacted, row.unanswered) == (5, 0, 5)

    ids = list(
        Lead.objects.for_tenant(tenant).filter(source=Source.API).values_list("pk", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(
            tenant=tenant, actor=admin_user, lead_id=ids[0], changes={"status": "contacted"}
        )
        leads_bulk(tenant=tenant, actor=admin_user, action="status", value="booked", ids=ids[1:3])
        lead_update(tenant=tenant, actor=admin_user, lead_id=ids[2], changes={"status": "won"})
        leads_bulk(tenant=tenant, actor=admin_user, action="status", value="lost", ids=ids[3:4])
    row.refresh_from_db()
    assert (row.created, row.contacted, row.booked, row.won, row.lost, row.unanswered) == (
        5,
        3,
        2,
        1,
        1,
        1,
    )
    assert row.ttfc_count == 1  # only marking "contacted" records the first contact
    assert _stored(tenant) == _recounted(tenant)


def test_a_failing_rollup_does_not_break_ingestion(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("analytics down")

    monkeypatch.setattr("apps.analytics.rollups.days_refresh", broken)
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_leads(tenant=tenant, items=[{"email": "x@example.com"}], source="api")
    assert result and Lead.objects.for_tenant(tenant).count() == 1


def test_backfill_command_equals_hand_written_sql(tenant, mixed_leads):
    call_command(
        "analytics_rebuild",
        "--days",
        "30",
        "--tenant",
        str(tenant.pk),
        "--today",
        NOW.date().isoformat(),
    )
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT source, count(*), "
            f"sum(CASE WHEN first_contact_at IS NOT NULL OR status IN "
            f"('contacted','booked','won') THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN status IN ('booked','won') THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN status = 'won' THEN 1 ELSE 0 END) "
            f"FROM {table} WHERE tenant_id = %s GROUP BY source",
            [tenant.pk.hex if connection.vendor == "sqlite" else tenant.pk],
        )
        expected = {r[0]: tuple(int(x) for x in r[1:]) for r in cursor.fetchall()}
    got = {}
    for r in DailyLeadStats.objects.for_tenant(tenant):
        a = got.setdefault(r.source, [0, 0, 0, 0])
        for i, name in enumerate(("created", "contacted", "booked", "won")):
            a[i] += getattr(r, name)
    assert {k: tuple(v) for k, v in got.items()} == expected
    assert sum(r.created for r in DailyLeadStats.objects.for_tenant(tenant)) == len(mixed_leads)


def test_days_follow_the_tenant_time_zone(tenant):
    tenant.time_zone = "Asia/Vladivostok"  # UTC+10
    tenant.save(update_fields=["time_zone"])
    utc = ZoneInfo("UTC")
    # 13:59 UTC = 23:59 local on the 1st; 14:00 UTC = 00:00 local on the 2nd.
    make_lead(tenant, 1, created_at=datetime(2026, 3, 1, 13, 59, tzinfo=utc))
    make_lead(tenant, 2, created_at=datetime(2026, 3, 1, 14, 0, tzinfo=utc))
    make_lead(tenant, 3, created_at=datetime(2026, 2, 28, 14, 0, tzinfo=utc))
    range_refresh(tenant, date(2026, 2, 28), date(2026, 3, 3))
    by_day = {r.day: r.created for r in DailyLeadStats.objects.for_tenant(tenant)}
    assert by_day == {date(2026, 3, 1): 2, date(2026, 3, 2): 1}


def test_recompute_removes_rows_of_moved_or_deleted_leads(tenant):
    lead = make_lead(tenant, 1, created_at=NOW, source=Source.SMS)
    range_refresh(tenant, NOW.date(), NOW.date())
    Lead.objects.for_tenant(tenant).filter(pk=lead.pk).update(
        created_at=NOW - timedelta(days=3), status=LeadStatus.WON
    )
    range_refresh(tenant, NOW.date() - timedelta(days=3), NOW.date())
    rows = list(DailyLeadStats.objects.for_tenant(tenant).values_list("day", "won"))
    assert rows == [(NOW.date() - timedelta(days=3), 1)]


def test_a_new_lead_queues_its_local_day_from_the_event_without_a_query(
    tenant, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given a company in Vladivostok (UTC+10) and a lead created at 20:07 UTC: the 3rd there
    tenant.time_zone = "Asia/Vladivostok"
    tenant.save()
    item = {"email": "late@example.com", "created_at": "2026-03-02T20:07:00Z"}
    reread = AssertionError("the subscriber read the leads again")
    with (
        mock.patch.object(tasks.refresh_day_task, "apply_async") as queued,
        mock.patch.object(tasks, "lead_days", side_effect=reread),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            ingest_leads(tenant=tenant, items=[item], source=Source.API)
        assert queued.call_args.args[0] == (str(tenant.pk), "2026-03-03")
        # and another lead of that day costs analytics no query (zone cached, day queued)
        event = LeadsCreated(
            tenant_id=str(tenant.pk),
            source="api",
            lead_ids=(1,),
            created_at=("2026-03-02T20:00:00+00:00",),
        )
        with django_assert_num_queries(0):
            tasks.on_leads_created(event)
        assert queued.call_count == 1
        # when the company moves to Los Angeles (UTC-8), the same moment is the 2nd there
        tenant.time_zone = "America/Los_Angeles"
        tenant.save()
        with django_capture_on_commit_callbacks(execute=True):
            ingest_leads(tenant=tenant, items=[{**item, "email": "b@example.com"}], source="api")
        assert queued.call_args.args[0] == (str(tenant.pk), "2026-03-02")


def _day_event(tenant) -> LeadsCreated:
    return LeadsCreated(
        tenant_id=str(tenant.pk), source="widget", lead_ids=(1,),
        created_at=("2026-03-02T09:00:00+00:00",),
    )  # fmt: skip


@pytest.fixture
def real_queue(monkeypatch):
    """A real queue (not eager): a recount waits REFRESH_DELAY_SECONDS before it starts. The
    wall clock is `clock[0]`."""
    monkeypatch.setattr(tasks, "_tasks_run_at_once", lambda: False)
    monkeypatch.setattr(tasks, "_counted_until", {})
    clock = [1_000_000.0]
    monkeypatch.setattr(tasks.time, "time", lambda: clock[0])
    return clock


def test_a_day_queued_by_this_process_moments_ago_skips_the_cache(tenant, real_queue):
    clock, event = real_queue, _day_event(tenant)
    with (
        mock.patch.object(tasks.refresh_day_task, "apply_async") as queued,
        mock.patch.object(tasks, "mark_set_or_get", wraps=tasks.mark_set_or_get) as asked,
    ):
        tasks.on_leads_created(event)
        clock[0] += tasks.REFRESH_DELAY_SECONDS - 2  # the recount cannot have started
        tasks.on_leads_created(event)
        assert (queued.call_count, asked.call_count) == (1, 1)
        # once it may have started, the cache decides again (the task deletes its mark)
        clock[0] += 2
        tasks.cache.delete(tasks._refresh_key(str(tenant.pk), "2026-03-02"))
        tasks.on_leads_created(event)
        assert (queued.call_count, asked.call_count) == (2, 2)


def test_a_day_another_process_queued_is_asked_once_then_remembered_until_it_may_start(
    tenant, real_queue
):
    # given another web process queued the day's recount 1 s ago (its mark holds that time)
    clock, event = real_queue, _day_event(tenant)
    key = tasks._refresh_key(str(tenant.pk), "2026-03-02")
    tasks.cache.set(key, clock[0] - 1, 300)
    with (
        mock.patch.object(tasks.refresh_day_task, "apply_async") as queued,
        mock.patch.object(tasks, "mark_set_or_get", wraps=tasks.mark_set_or_get) as asked,
    ):
        # when leads arrive here: the first asks the cache, the next ones do not
        tasks.on_leads_created(event)
        clock[0] += tasks.REFRESH_DELAY_SECONDS - tasks.CLOCK_MARGIN_SECONDS - 1.5
        tasks.on_leads_created(event)
        # then nothing was queued twice, and the cache was asked once
        assert (queued.call_count, asked.call_count) == (0, 1)
        # and past the moment that recount may start (minus the clocks' margin) it asks again
        clock[0] += 1
        tasks.on_leads_created(event)
        assert (queued.call_count, asked.call_count) == (0, 2)
        # a mark without a time (an older release's "1") is never remembered
        tasks.cache.set(key, 1, 300)
        clock[0] += 60
        tasks.on_leads_created(event)
        tasks.on_leads_created(event)
        assert (queued.call_count, asked.call_count) == (0, 4)
