"""getDashboard / getChannelStats / getFunnel: the numbers equal a hand-written SQL count;
roles, tenancy, tiers and bad input."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.rollups import days_refresh
from apps.analytics.tests.conftest import CARD_KEYS, NOW, make_lead
from apps.billing.tests.helpers import subscribe
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db


def _url(tenant, name, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/tenants/{tenant.pk}/analytics/{name}/?{query}"


def _custom():
    return {
        "period": "custom",
        "from": (NOW - timedelta(days=30)).date().isoformat(),
        "to": NOW.date().isoformat(),
    }


def _sql(tenant, group: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {group}, count(*), "
            "sum(CASE WHEN first_contact_at IS NOT NULL OR status IN "
            "('contacted','booked','won') THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status IN ('booked','won') THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status = 'won' THEN 1 ELSE 0 END) "
            f"FROM leads_lead WHERE tenant_id = %s GROUP BY {group}",
            [tenant.pk.hex if connection.vendor == "sqlite" else tenant.pk],
        )
        return {r[0]: tuple(int(x) for x in r[1:]) for r in cursor.fetchall()}


def test_channels_and_funnel_equal_a_hand_written_sql_count(analyst_api, tenant, rolled):
    channels = analyst_api.get(_url(tenant, "channels", **_custom())).json()["channels"]
    got = {c["source"]: (c["created"], c["contacted"], c["booked"], c["won"]) for c in channels}
    assert got == _sql(tenant, "source")

    funnel = analyst_api.get(_url(tenant, "funnel", **_custom())).json()
    by_list = {
        r["list_id"]: (r["created"], r["contacted"], r["booked"], r["won"])
        for r in funnel["by_list"]
    }
    assert by_list == _sql(tenant, "list_id")
    total = funnel["total"]
    assert total["created"] == len(rolled) == sum(v[0] for v in got.values())
    assert total["contacted_rate"] == round(100 * total["contacted"] / total["created"], 1)
    assert total["booked_dropoff"] == total["contacted"] - total["booked"]
    ttfc = funnel["time_to_first_contact"]
    contacted = Lead.objects.for_tenant(tenant).filter(first_contact_at__isnull=False)
    assert ttfc["count"] == contacted.count() == sum(b["count"] for b in ttfc["histogram"])
    seconds = sorted(
        (lead.first_contact_at - lead.created_at).total_seconds() for lead in contacted
    )
    assert ttfc["median_seconds"] == round(
        (seconds[len(seconds) // 2 - 1] + seconds[len(seconds) // 2]) / 2
        if len(seconds) % 2 == 0
        else seconds[len(seconds) // 2]
    )


def test_dashboard_cards_compare_with_the_previous_period(operator_api, tenant, rolled):
    body = operator_api.get(_url(tenant, "dashboard", period="7d")).json()
    cards = {c["key"]: c for c in body["cards"]}
    assert set(cards) == set(CARD_KEYS)
    assert body["time_zone"] == "Europe/Moscow"
    assert len(cards["leads"]["sparkline"]) == 7
    assert cards["leads"]["value"] == sum(cards["leads"]["sparkline"])
    assert (
        cards["unanswered"]["value"]
        == Lead.objects.for_tenant(tenant)
        .filter(status="new", first_contact_at__isnull=True)
        .count()
    )


def test_bad_period_answers_400_naming_the_field(admin_api, tenant):
    response = admin_api.get(_url(tenant, "funnel", period="custom", **{"from": "2026-13-01"}))
    assert response.status_code == 400
    assert "from" in response.json()["error"]["fields"]
    response = admin_api.get(
        _url(tenant, "funnel", period="custom", **{"from": "2026-03-02", "to": "2026-03-01"})
    )
    assert response.status_code == 400 and "to" in response.json()["error"]["fields"]
    assert admin_api.get(_url(tenant, "funnel", period="year")).status_code == 400


def test_another_tenants_analytics_answer_404(outsider_api, tenant):
    assert outsider_api.get(_url(tenant, "dashboard")).status_code == 404


def test_operators_and_cohorts_are_locked_below_their_plans(admin_api, tenant, rolled):
    subscribe(tenant, "start")
    for name in ("operators", "cohorts"):
        response = admin_api.get(_url(tenant, name))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "feature_locked"
    subscribe(tenant, "business")
    assert admin_api.get(_url(tenant, "operators")).status_code == 200
    cohorts = admin_api.get(_url(tenant, "cohorts", **_custom())).json()["cohorts"]
    assert sum(c["created"] for c in cohorts) == len(rolled)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"to": ""}, "to"),  # present but empty: an error, not "absent"
        ({"period": ""}, "period"),
        ({"period": "7d", "from": "yesterday"}, "from"),  # checked even beside a preset
        ({"from": "0001-01-01"}, "from"),  # no previous period to compare with
        ({"to": "9999-12-31"}, "to"),
    ],
)
def test_every_given_period_parameter_must_be_valid(admin_api, tenant, params, field):
    response = admin_api.get(_url(tenant, "dashboard", **params))

    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_a_date_alone_means_a_custom_range_of_30_days(admin_api, tenant):
    starting = admin_api.get(_url(tenant, "channels", **{"from": "2026-03-01"})).json()
    ending = admin_api.get(_url(tenant, "channels", to="2026-03-30")).json()

    assert (starting["from"], starting["to"]) == ("2026-03-01", "2026-03-30")
    assert (ending["from"], ending["to"]) == ("2026-03-01", "2026-03-30")


def _analytics_queries(captured) -> list[str]:
    tables = ("analytics_", "leads_lead", "billing_subscription", "billing_plan", "billing_usage")
    # quoted by the ORM ("leads_lead"."id"), bare in the raw percentile SQL (FROM leads_lead)
    return [
        q["sql"]
        for q in captured
        if any(f'"{t}' in q["sql"] or f" {t} " in q["sql"] for t in tables)
    ]


def test_the_overview_reads_the_rollups_once_and_is_reused_until_they_change(
    analyst_api, tenant, rolled, django_capture_on_commit_callbacks
):
    url = _url(tenant, "dashboard", period="90d")
    # (read the captured queries at once: the next request clears Django's query log)
    with CaptureQueriesContext(connection) as cold:
        first = analyst_api.get(url).json()
    cold_sql = _analytics_queries(cold.captured_queries)
    with CaptureQueriesContext(connection) as warm:
        again = analyst_api.get(url).json()
    warm_sql = _analytics_queries(warm.captured_queries)
    make_lead(tenant, 100, created_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        days_refresh(tenant, [NOW.date()])  # a rollup write (LeadsCreated): recomputed at once
    after = analyst_api.get(url).json()

    # one GROUP BY over the rollups for both periods (was: two totals and the daily rows)
    assert sum("analytics_dailyleadstats" in sql for sql in cold_sql) == 1
    # + percentiles of both periods and unanswered now (leads) + the usage meter
    assert len(cold_sql) <= 8, cold_sql
    assert warm_sql == [] and again == first
    assert after["cards"][0]["value"] == first["cards"][0]["value"] + 1


def test_the_funnel_reads_the_rollups_once(analyst_api, tenant, rolled):
    with CaptureQueriesContext(connection) as captured:
        response = analyst_api.get(_url(tenant, "funnel", **_custom()))
    sql = _analytics_queries(captured.captured_queries)

    assert response.status_code == 200
    # channels, lists, the total and the histogram from one GROUP BY (was four queries)
    assert sum("analytics_dailyleadstats" in q for q in sql) == 1
    # + the percentiles (leads table); the lists' names come with the GROUP BY (a subquery)
    assert len(sql) == 2, sql
