"""GET /api/v1/tenants/{t}/billing/reports/: JSON, CSV, PDF, roles, isolation, bad input."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from apps.leads.ingestion import ingest_leads
from apps.leads.models import Customer
from apps.payperlead import cards, services
from apps.payperlead.tests.csvfile import read_report_csv
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "leads/fixtures/seed_002_sample.json"


@pytest.fixture
def seeded(tenant, django_capture_on_commit_callbacks):
    # As in production: the ingestion's commit queues the refresh that stores the reports.
    with django_capture_on_commit_callbacks(execute=True):
        _ingest_sample(tenant)
    return tenant


def _ingest_sample(tenant):
    ingest_leads(tenant=tenant, items=json.loads(SAMPLE.read_text()), source="api")
    return tenant


def url(tenant) -> str:
    return f"/api/v1/tenants/{tenant.pk}/billing/reports/"


def test_a_customers_april_report_in_json_matches_the_seed(seeded, analyst_api):
    response = analyst_api.get(url(seeded), {"period": "2024-04", "customer": "customer-123"})
    assert response.status_code == 200
    body = response.json()
    assert (body["period"], body["status"], body["currency"]) == ("2024-04", "open", "USD")
    assert body["customer"]["ref"] == "customer-123"
    assert body["totals"] == {
        "actions": 3,
        "gross": 2200,
        "billed": 2200,
        "savings": 0,
        "savings_duplicate": 0,
        "savings_cap": 0,
        "unpriced": 0,
    }
    assert body["products"][0]["product"]["ref"] == "product-abc"
    assert body["products"][0]["totals"]["billed"] == 2200
    assert body["lead_types_without_card"] == ["Website Visit"]
    lines = body["lines"]
    assert [(ln["lead_ref"], ln["action_type"], ln["billed"], ln["reason"]) for ln in lines] == [
        ("uuid-1", "Page View", 200, "none"),
        ("uuid-1", "Form Submission", 1000, "none"),
        ("uuid-3", "Form Submission", 1000, "none"),
    ]
    assert lines[0]["card"]["version"] == 1 and lines[0]["card"]["scope"] == "default"
    assert lines[0]["cap"] == 10000 and lines[0]["action_period"] == "2024-04"


def test_without_a_customer_every_customer_is_summed(seeded, analyst_api):
    body = analyst_api.get(url(seeded), {"period": "2024-04"}).json()
    assert [(c["customer"]["ref"], c["totals"]["billed"]) for c in body["customers"]] == [
        ("customer-123", 2200),
        ("customer-456", 700),
    ]
    assert body["totals"] == [
        {
            "currency": "USD",
            "actions": 5,
            "gross": 2900,
            "billed": 2900,
            "savings": 0,
            "savings_duplicate": 0,
            "savings_cap": 0,
            "unpriced": 0,
        }
    ]
    assert "lines" not in body["customers"][0]


def test_a_month_without_actions_is_an_empty_report(seeded, analyst_api):
    body = analyst_api.get(url(seeded), {"period": "2023-01", "customer": "customer-123"}).json()
    assert body["totals"]["billed"] == 0 and body["lines"] == [] and body["products"] == []
    assert analyst_api.get(url(seeded), {"period": "2023-01"}).json()["customers"] == []


def test_csv_streams_every_line_with_amounts_in_major_units(seeded, analyst_api):
    response = analyst_api.get(
        url(seeded), {"period": "2024-04", "customer": "customer-123", "format": "csv"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "billing-" in response["Content-Disposition"]
    rows, _trailer = read_report_csv(response)
    assert [(r["lead_ref"], r["value"], r["billed"], r["savings"], r["reason"]) for r in rows] == [
        ("uuid-1", "2.00", "2.00", "0.00", "none"),
        ("uuid-1", "10.00", "10.00", "0.00", "none"),
        ("uuid-3", "10.00", "10.00", "0.00", "none"),
    ]
    assert {r["currency"] for r in rows} == {"USD"}


def test_csv_of_every_customer(seeded, analyst_api):
    response = analyst_api.get(url(seeded), {"period": "2024-04", "format": "csv"})
    rows, _trailer = read_report_csv(response)
    assert sorted({r["customer"] for r in rows}) == ["customer-123", "customer-456"]
    assert len(rows) == 5


def test_pdf_renders_cyrillic_with_the_shipped_font(seeded, analyst_api):
    Customer.objects.for_tenant(seeded).filter(external_ref="customer-123").update(
        name="ООО «Ромашка»"
    )
    response = analyst_api.get(
        url(seeded),
        {"period": "2024-04", "customer": "customer-123", "format": "pdf"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"DejaVu" in response.content


def test_pdf_needs_a_customer(seeded, analyst_api):
    response = analyst_api.get(url(seeded), {"period": "2024-04", "format": "pdf"})
    assert response.status_code == 400 and "customer" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "period"),
        ({"period": "2024-4"}, "period"),
        ({"period": "April"}, "period"),
        ({"period": "2024-13"}, "period"),
        ({"period": "1999-12"}, "period"),
        ({"period": "2024-04", "format": "xlsx"}, "format"),
    ],
)
def test_bad_parameters_are_field_errors(seeded, analyst_api, params, field):
    response = analyst_api.get(url(seeded), params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_unknown_customer_answers_404(seeded, analyst_api):
    response = analyst_api.get(url(seeded), {"period": "2024-04", "customer": "nobody"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "customer_not_found"


def test_another_tenants_customer_is_unknown_here(seeded, other_tenant, analyst_api):
    ingest_leads(
        tenant=other_tenant,
        source="api",
        items=[
            {"lead_id": "o1", "customer_id": "their-customer", "actions": []},
        ],
    )
    response = analyst_api.get(url(seeded), {"period": "2024-04", "customer": "their-customer"})
    assert response.status_code == 404


def test_an_outsider_gets_404_and_an_anonymous_caller_401(seeded, outsider_api, api_client):
    params = {"period": "2024-04", "customer": "customer-123"}
    assert outsider_api.get(url(seeded), params).status_code == 404
    assert api_client.get(url(seeded), params).status_code == 401


@pytest.mark.parametrize("client", ["analyst_api", "operator_api", "admin_api"])
def test_analysts_and_up_may_read_reports(seeded, client, request):
    api = request.getfixturevalue(client)
    assert api.get(url(seeded), {"period": "2024-04"}).status_code == 200


def test_a_currency_mismatch_answers_422_with_its_code(
    seeded, admin_user, analyst_api, django_capture_on_commit_callbacks
):
    # publishing queues the refresh of the months it reprices, which records the mismatch
    with tenant_scope(seeded), django_capture_on_commit_callbacks(execute=True):
        cards.rate_card_publish(
            tenant=seeded,
            actor=admin_user,
            valid_from=datetime(2024, 1, 1, tzinfo=UTC),
            currency="RUB",
            value_high=90000,
            value_medium=45000,
            value_low=18000,
            cap=900000,
            lead_type="Website Visit",
        )
        cards.rate_card_publish(
            tenant=seeded,
            actor=admin_user,
            valid_from=datetime(2024, 4, 10, tzinfo=UTC),
            currency="USD",
            value_high=1,
            value_medium=1,
            value_low=1,
            cap=1,
            lead_type="Website Visit",
        )
    response = analyst_api.get(url(seeded), {"period": "2024-04", "customer": "customer-123"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "currency_mismatch"


def test_a_closed_month_answers_its_frozen_report(seeded, admin_user, analyst_api):
    with tenant_scope(seeded):
        services.period_close(tenant=seeded, actor=admin_user, period=date(2024, 4, 1))
    body = analyst_api.get(url(seeded), {"period": "2024-04", "customer": "customer-123"}).json()
    assert body["status"] == "closed" and body["frozen"] is True
    assert body["totals"]["billed"] == 2200 and len(body["lines"]) == 3


def test_the_report_costs_a_bounded_number_of_queries(
    seeded, analyst_api, django_assert_max_num_queries
):
    analyst_api.get(url(seeded), {"period": "2024-04", "customer": "customer-123"})  # cards made
    with django_assert_max_num_queries(18):
        analyst_api.get(url(seeded), {"period": "2024-04", "customer": "customer-123"})
