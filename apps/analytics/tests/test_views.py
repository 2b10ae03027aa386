"""The Analytics page, its exports, and the overview's cards (which may fail alone)."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse

from apps.analytics.display import chart_data
from apps.analytics.periods import period_parse
from apps.analytics.selectors import PeriodReads
from apps.analytics.tables import TABLES
from apps.analytics.tests.conftest import CARD_KEYS, NOW
from apps.billing.tests.helpers import subscribe

pytestmark = pytest.mark.django_db


def _query():
    return f"?period=custom&from={(NOW - timedelta(days=30)).date()}&to={NOW.date()}"


def test_page_shows_cards_charts_and_tables_with_locked_tiers(analyst_client_web, tenant, rolled):
    subscribe(tenant, "start")
    url = reverse("analytics:index", args=[tenant.slug]) + _query()
    response = analyst_client_web.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for key in CARD_KEYS:
        assert f'data-card="{key}"' in body
    assert 'id="analytics-charts"' in body and 'id="chart-channels"' in body
    assert 'data-table="channels"' in body and 'data-table="lists"' in body
    assert 'data-locked="operators"' in body and 'data-locked="cohorts"' in body


def test_bad_custom_range_shows_the_error_not_a_500(analyst_client_web, tenant):
    url = reverse("analytics:index", args=[tenant.slug]) + "?period=custom&from=x&to=y"
    response = analyst_client_web.get(url)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()


def test_tables_export_as_csv_and_xlsx(analyst_client_web, tenant, rolled):
    csv_url = reverse("analytics:export", args=[tenant.slug, "channels", "csv"]) + _query()
    response = analyst_client_web.get(csv_url)
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 4  # header + four sources
    xlsx_url = reverse("analytics:export", args=[tenant.slug, "lists", "xlsx"]) + _query()
    data = b"".join(analyst_client_web.get(xlsx_url).streaming_content)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 1 + 3  # header + no list, Hot, Cold


def test_locked_table_export_answers_403(analyst_client_web, tenant):
    subscribe(tenant, "start")
    url = reverse("analytics:export", args=[tenant.slug, "cohorts", "csv"])
    assert analyst_client_web.get(url).status_code == 403
    assert (
        analyst_client_web.get(
            reverse("analytics:export", args=[tenant.slug, "nope", "csv"])
        ).status_code
        == 404
    )


def test_overview_shows_the_cards_and_survives_an_analytics_failure(
    admin_client_web, tenant, rolled, monkeypatch
):
    url = reverse("web:overview", args=[tenant.slug])
    body = admin_client_web.get(url).content.decode()
    assert 'data-card="conversion"' in body and "Скоро" not in body

    def broken(*args, **kwargs):
        raise RuntimeError("replica down")

    monkeypatch.setattr("apps.web.views.dashboard", broken)
    response = admin_client_web.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-analytics-unavailable" in body and "data-overview-leads" in body


def test_page_with_every_table_reads_the_rollups_once_per_shape(
    analyst_client_web, tenant, rolled, django_assert_max_num_queries
):
    # given: every table unlocked, and the overview's cards and entitlements cached (a reload)
    subscribe(tenant, "business")
    url = reverse("analytics:index", args=[tenant.slug]) + _query()
    assert analyst_client_web.get(url).status_code == 200
    # then: session, user, the memberships (the page's and the switcher's), two rollup reads,
    # operators (it was 16: a rollup read per table and chart, the list names twice,
    # percentiles again; then 7, with the switcher's memberships read apart)
    with django_assert_max_num_queries(6):
        response = analyst_client_web.get(url)
    assert response.status_code == 200


def test_tables_and_charts_share_two_rollup_reads(tenant, rolled, django_assert_num_queries):
    period = period_parse(tenant, {"period": "custom", "from": "2026-11-05", "to": "2026-12-05"})
    reads = PeriodReads(tenant, period)
    with django_assert_num_queries(2):  # per (source, list) and per (day, source)
        built = {key: t.build(reads) for key, t in TABLES.items() if key != "operators"}
        charts = chart_data(reads)
    assert sum(row[1] for row in built["channels"][2]) == len(rolled)
    assert sum(row[1] for row in built["daily"][2]) == sum(charts["channels"]["created"])
    assert charts["funnel"][0] == len(rolled)
