"""Dashboard: /t/<slug>/billing/reports/ — pick, drill down, download, close; roles and
isolation."""

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.leads.ingestion import ingest_leads
from apps.leads.models import Customer, Lead
from apps.payperlead import presenters, selectors
from apps.payperlead.models import BillingPeriod, PeriodStatus

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
    ingest_leads(
        tenant=tenant,
        source="api",
        items=[
            {
                "lead_id": "dup",
                "email": "ann@example.com",
                "customer_id": "customer-123",
                "product_id": "product-abc",
                "lead_type": "Website Visit",
                "actions": [
                    {
                        "action_type": "Call",
                        "timestamp": "2024-04-20T10:00:00Z",
                        "engagement_level": "High",
                    },
                    {
                        "action_type": "Call",
                        "timestamp": "2024-04-21T10:00:00Z",
                        "engagement_level": "High",
                    },
                ],
            }
        ],
    )
    return tenant


def page(tenant, name="reports") -> str:
    return reverse(f"payperlead:{name}", kwargs={"tenant_slug": tenant.slug})


def test_every_customer_of_a_month_with_totals(seeded, analyst_client_web):
    response = analyst_client_web.get(page(seeded), {"period": "2024-04"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "customer-123" in body and "customer-456" in body
    assert "32.00 USD" in body or "32,00 USD" in body  # 22.00 + 10.00 for ann's first call


def test_a_customers_report_drills_down_to_each_action_and_its_reason(seeded, analyst_client_web):
    response = analyst_client_web.get(
        page(seeded), {"period": "2024-04", "customer": "customer-123"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "uuid-1" in body and "product-abc" in body
    assert "format=csv" in body and "format=pdf" in body
    # customer → lead (its sums on the page) → action, loaded when the lead is opened
    dup = next(group for group in response.context["page"] if group.label == "dup")
    assert dup.lines_count == 2 and dup.lines_url in body.replace("&amp;", "&")
    assert "Form Submission" not in body  # the actions are not rendered until opened
    lines = analyst_client_web.get(dup.lines_url, HTTP_HX_REQUEST="true")
    assert lines.status_code == 200 and b"<html" not in lines.content
    rows = {
        (row["line"].action_type, row["line"].occurred_at.day): row for row in lines.context["rows"]
    }
    first, repeat = rows[("Call", 20)], rows[("Call", 21)]
    assert (first["line"].reason, repeat["line"].reason) == ("none", "duplicate")
    action_ref = str(first["line"].action_id)
    assert f"#{action_ref}" in repeat["why"] or f"№{action_ref}" in repeat["why"]
    assert repeat["why"] in lines.content.decode()
    assert repeat["billed"] in ("0.00 USD", "0,00 USD")
    assert repeat["savings"] in ("10.00 USD", "10,00 USD")


def test_an_opened_lead_without_javascript_is_a_page_of_its_own(seeded, analyst_client_web):
    response = analyst_client_web.get(
        page(seeded), {"period": "2024-04", "customer": "customer-123"}
    )
    group = next(iter(response.context["page"]))
    full = analyst_client_web.get(group.lines_url)
    body = full.content.decode()
    assert full.status_code == 200 and "<html" in body and group.label in body
    assert len(full.context["rows"]) == group.lines_count
    assert "Back to the report" in body or "Назад к отчёту" in body


def test_a_leads_lines_need_a_known_month_customer_and_lead(seeded, analyst_client_web):
    url = page(seeded, "lead_lines")
    response = analyst_client_web.get(
        page(seeded), {"period": "2024-04", "customer": "customer-123"}
    )
    group = next(iter(response.context["page"]))
    good = {"period": "2024-04", "customer": "customer-123", "product": group.product_id}
    good["lead"] = group.lead_id
    assert analyst_client_web.get(url, good).status_code == 200
    for bad in ({"period": "2024-13"}, {"customer": ""}, {"customer": "nobody"}, {"lead": "x1"}):
        assert analyst_client_web.get(url, {**good, **bad}).status_code == 404, bad
    # a lead or month without lines (the report was valued again): an empty state
    for gone in ({"lead": "999999999"}, {"period": "2023-01"}):
        response = analyst_client_web.get(url, {**good, **gone}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response.context["rows"] == []
        assert b"reload the report" in response.content or "отчёт".encode() in response.content


def test_the_drill_down_pages_leads_in_a_stable_order(
    tenant, analyst_client_web, django_capture_on_commit_callbacks
):
    """Leads are paged in SQL by product, label (as Python compares strings: code points),
    deleted leads last, then id: every lead appears once across the pages, in the order the
    PDF lists them (presenters.lead_group_order)."""
    names = ["zoë", "Zed", "alpha", "Émile", "", "beta", "Alpha", "ärger"] * 4
    items = [
        {
            "lead_id": f"ref-{i}",
            "name": name,
            "email": f"p{i}@example.com",
            "customer_id": "customer-9",
            "product_id": "product-abc" if i % 3 else "product-xyz",
            "actions": [
                {
                    "action_type": "Visit",
                    "timestamp": "2024-04-02T10:00:00Z",
                    "engagement_level": "Low",
                }
            ],
        }
        for i, name in enumerate(names)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_leads(tenant=tenant, items=items, source="api")
    Lead.objects.for_tenant(tenant).get(external_id="ref-1").delete()  # its lines keep no lead
    seen, groups = [], []
    for number in (1, 2):
        response = analyst_client_web.get(
            page(tenant), {"period": "2024-04", "customer": "customer-9", "page": number}
        )
        groups += response.context["page"].object_list
        seen += [
            (g.product_id or 0, g.lead is None, g.label, g.lead_id)
            for g in response.context["page"]
        ]
    assert len(seen) == len(names) == len(set(seen))
    assert seen == sorted(seen)
    deleted = next(g for g in groups if g.lead is None)
    of_its_product = [key for key in seen if key[0] == deleted.product_id]
    assert of_its_product[-1][1] is True  # the deleted lead, last of its product
    assert presenters.lead_group_order(
        presenters.LeadGroup(None, None, 1, "")
    ) > presenters.lead_group_order(presenters.LeadGroup(5, SimpleNamespace(name="zz"), 1, ""))
    lines = analyst_client_web.get(deleted.lines_url, HTTP_HX_REQUEST="true")
    assert lines.status_code == 200 and len(lines.context["rows"]) == 1
    # its lines lost their lead (SET_NULL): named as such, on the report and on their page
    assert deleted.lead_id is None and deleted.label in ("Deleted leads", "Удалённые лиды")
    own_page = analyst_client_web.get(deleted.lines_url).content.decode()
    assert deleted.label in own_page and "#None" not in own_page


def test_the_report_partial_answers_htmx(seeded, analyst_client_web):
    response = analyst_client_web.get(
        page(seeded),
        {"period": "2024-04", "customer": "customer-456"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="report",
    )
    assert response.status_code == 200
    assert b"<html" not in response.content and b"customer-456" in response.content


def test_the_page_defaults_to_the_last_month_with_actions(seeded, analyst_client_web):
    response = analyst_client_web.get(page(seeded))
    assert response.status_code == 200 and response.context["period"] == date(2024, 5, 1)


def test_an_empty_month_is_an_empty_report(seeded, analyst_client_web):
    response = analyst_client_web.get(page(seeded), {"period": "2023-02"})
    assert response.status_code == 200 and response.context["rows"] == []


def test_an_unknown_customer_or_period_is_404(seeded, analyst_client_web):
    assert analyst_client_web.get(page(seeded), {"customer": "nobody"}).status_code == 404
    assert analyst_client_web.get(page(seeded), {"period": "2024-99"}).status_code == 404


def test_downloads_csv_and_pdf(seeded, analyst_client_web):
    params = {"period": "2024-04", "customer": "customer-123"}
    csv_response = analyst_client_web.get(page(seeded, "download"), {**params, "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert b"uuid-1" in b"".join(csv_response.streaming_content)
    pdf = analyst_client_web.get(page(seeded, "download"), {**params, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_outsider_sees_nothing(seeded, outsider_client_web):
    assert outsider_client_web.get(page(seeded), {"period": "2024-04"}).status_code == 404
    download = page(seeded, "download")
    assert outsider_client_web.get(download, {"period": "2024-04"}).status_code == 404


def test_a_month_not_over_is_refused_at_once_and_nothing_is_queued(
    seeded, admin_client_web, django_capture_on_commit_callbacks
):
    this_month = f"{timezone.now():%Y-%m}"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client_web.post(page(seeded, "close"), {"period": this_month}, follow=True)
    assert queued == []
    said = " ".join(str(m) for m in response.context["messages"])
    assert this_month in said


def test_only_administrators_close_a_month(seeded, analyst_client_web):
    response = analyst_client_web.post(page(seeded, "close"), {"period": "2024-04"})
    assert response.status_code == 403
    assert not BillingPeriod.objects.for_tenant(seeded).filter(status=PeriodStatus.CLOSED).exists()


def test_an_administrator_closes_a_finished_month(
    seeded, admin_client_web, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client_web.post(
            page(seeded, "close"), {"period": "2024-04", "customer": "customer-123"}
        )
    assert response.status_code == 302 and "customer=customer-123" in response["Location"]
    # the request only queues the close; the worker writes the frozen reports
    assert len(queued) == 1
    assert not BillingPeriod.objects.for_tenant(seeded).filter(status=PeriodStatus.CLOSED).exists()
    queued[0]()  # the task runs (eagerly in tests)
    period = BillingPeriod.objects.for_tenant(seeded).get(month=date(2024, 4, 1))
    assert period.status == PeriodStatus.CLOSED
    follow = admin_client_web.get(response["Location"])
    assert follow.context["is_closed"] and follow.context["record"].frozen


def test_the_report_page_costs_a_bounded_number_of_queries(
    seeded, analyst_client_web, django_assert_max_num_queries
):
    params = {"period": "2024-04", "customer": "customer-123"}
    analyst_client_web.get(page(seeded), params)
    with django_assert_max_num_queries(30):
        analyst_client_web.get(page(seeded), params)


def test_the_lead_label_is_read_per_lead_and_not_to_count_the_pages(seeded):
    """The label subquery reads only the grouped lead id: out of the GROUP BY (once per lead,
    not per line: 20,000 lookups for 2,000 leads at the bench's size) and out of the count."""
    customer = Customer.objects.for_tenant(seeded).get(external_ref="customer-123")
    record = selectors.stored_report(seeded, customer.pk, date(2024, 4, 1))
    groups = selectors.lead_groups(record)
    with CaptureQueriesContext(connection) as counted:
        assert Paginator(groups, 20).count == len(list(groups)) > 0
    assert "leads_lead" not in counted.captured_queries[0]["sql"]
    grouped_by = str(groups.query).split("GROUP BY", 1)[1].split("ORDER BY", 1)[0]
    assert "leads_lead" not in grouped_by
