"""Stored reports: refreshed after ingestion, equal to the cent to a recomputation, read by
GETs that write nothing, and a CSV whose failure part-way is visible to the client."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.payperlead import cards, csv_export, engine, refresh, reports, selectors, services
from apps.payperlead.models import BillingLine, BillingReport, PeriodValuation
from apps.payperlead.tests.csvfile import read_report_csv

pytestmark = pytest.mark.django_db

APRIL, MAY = date(2024, 4, 1), date(2024, 5, 1)
LEVELS = ("High", "Medium", "Low")


def _items(count: int) -> list[dict]:
    """Leads of three customers with repeated actions (duplicates) and enough of them to
    reach the default card's cap (100.00 per person)."""
    items = []
    for i in range(count):
        actions = [
            {
                "action_type": ("Call", "Page View", "Download")[(i + k) % 3],
                "engagement_level": LEVELS[(k // 3 + i) % 3],
                "timestamp": f"2024-04-{1 + (i + k) % 28:02d}T{(i * 3 + k) % 24:02d}:00:00Z",
            }
            for k in range(14)
        ]
        items.append(
            {
                "lead_id": f"lead-{i}",
                "email": f"person{i % 9}@example.com",
                "customer_id": f"customer-{i % 3}",
                "product_id": f"product-{i % 2}",
                "lead_type": ("Website Visit", "Referral")[i % 2],
                "actions": actions,
            }
        )
    return items


@pytest.fixture
def filled(tenant, admin_user, django_capture_on_commit_callbacks):
    # a low cap (25.00 per person), so that some people reach it
    cards.rate_card_publish(
        tenant=tenant,
        actor=admin_user,
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
        currency="USD",
        value_high=1000,
        value_medium=500,
        value_low=200,
        cap=2500,
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest_leads(tenant=tenant, items=_items(40), source="api")
    assert outcome.summary["rejected"] == 0
    return tenant


def _recomputed(tenant, period) -> engine.Valuation:
    """The engine over the month's actions, nothing stored."""
    book = selectors.card_book(tenant)
    return engine.valuate(selectors.action_rows(tenant, period), book)


def test_stored_reports_equal_a_recomputation_to_the_cent(filled):
    # given the refresh the ingestion queued
    stored = BillingLine.objects.for_tenant(filled).filter(report__period=APRIL)
    # when the month is valued again in memory
    valuation = _recomputed(filled, APRIL)
    # then every line and every total agree, amount for amount
    fields = ("action_ref", "value", "billed", "savings", "reason", "billed_before")
    assert sorted(stored.values_list(*fields)) == sorted(
        (ln.action_id, ln.value, ln.billed, ln.savings, ln.reason, ln.billed_before)
        for ln in valuation.lines
    )
    assert any(ln.reason == "duplicate" for ln in valuation.lines)
    assert any(ln.reason == "cap" for ln in valuation.lines)
    for record in BillingReport.objects.for_tenant(filled).filter(period=APRIL):
        totals = engine.sum_totals(
            bucket for (cid, _p), bucket in valuation.totals.items() if cid == record.customer_id
        )
        assert (record.actions_count, record.gross, record.billed) == (
            totals[engine.ACTIONS],
            totals[engine.GROSS],
            totals[engine.BILLED],
        )
        assert (record.savings_duplicate, record.savings_cap) == (
            totals[engine.SAVED_DUPLICATE],
            totals[engine.SAVED_CAP],
        )


def test_reading_pages_api_and_csv_writes_nothing(filled, analyst_client_web, analyst_api):
    customer = selectors.customer_get(filled, "customer-1")
    page = reverse("payperlead:reports", kwargs={"tenant_slug": filled.slug})
    api = f"/api/v1/tenants/{filled.pk}/billing/reports/"
    with CaptureQueriesContext(connection) as queries:
        assert analyst_client_web.get(page, {"period": "2024-04"}).status_code == 200
        params = {"period": "2024-04", "customer": customer.external_ref}
        assert analyst_client_web.get(page, params).status_code == 200
        assert analyst_api.get(api, {"period": "2024-04"}).status_code == 200
        assert analyst_api.get(api, params).status_code == 200
        read_report_csv(analyst_api.get(api, {"period": "2024-04", "format": "csv"}))
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []


def test_the_api_says_as_of_when_the_month_was_valued(filled, analyst_api):
    body = analyst_api.get(
        f"/api/v1/tenants/{filled.pk}/billing/reports/", {"period": "2024-04"}
    ).json()
    state = PeriodValuation.objects.for_tenant(filled).get(month=APRIL)
    assert body["valued_as_of"] == state.valued_at.isoformat()
    assert body["refresh_pending"] is False
    assert sum(c["totals"]["actions"] for c in body["customers"]) == 40 * 14


def test_the_csv_trailer_counts_the_lines_and_sums_what_was_billed(filled, analyst_api):
    response = analyst_api.get(
        f"/api/v1/tenants/{filled.pk}/billing/reports/", {"period": "2024-04", "format": "csv"}
    )
    rows, trailer = read_report_csv(response)
    billed = sum(r.billed for r in BillingReport.objects.for_tenant(filled).filter(period=APRIL))
    assert int(trailer[1]) == len(rows) == 40 * 14
    assert trailer[2:] == ["USD", f"{billed // 100}.{billed % 100:02d}"]


def test_a_failure_mid_stream_ends_without_the_trailer_and_aborts(filled, analyst_api, monkeypatch):
    # given a database that fails after the first rows were sent
    def broken(*args, **kwargs):
        yield "2024-04,customer-0,first row\r\n"
        raise ConnectionError("the database went away")

    monkeypatch.setattr(csv_export, "_copy_rows", broken)
    monkeypatch.setattr(csv_export, "_orm_rows", broken)
    response = analyst_api.get(
        f"/api/v1/tenants/{filled.pk}/billing/reports/", {"period": "2024-04", "format": "csv"}
    )
    # when the client reads the stream, then the response breaks off (the server closes
    # the connection: no chunked terminator) ...
    received = []
    with pytest.raises(ConnectionError):
        for chunk in response.streaming_content:
            received.append(chunk if isinstance(chunk, bytes) else chunk.encode())
    # ... after an error row, and without the trailer a whole file ends with
    rows = list(csv.reader(io.StringIO(b"".join(received).decode("utf-8-sig"))))
    assert rows[-1][0] == csv_export.ERROR
    assert all(row[0] != csv_export.TRAILER for row in rows)


def test_lines_that_do_not_add_up_to_the_reports_are_an_error_not_a_file(filled, analyst_api):
    # given a stored report whose lines went missing
    BillingLine.objects.for_tenant(filled).filter(pk__in=_some_line_ids(filled)).delete()
    response = analyst_api.get(
        f"/api/v1/tenants/{filled.pk}/billing/reports/", {"period": "2024-04", "format": "csv"}
    )
    with pytest.raises(csv_export.IncompleteExport):
        b"".join(response.streaming_content)


def test_the_lines_keep_their_leads_reference_for_the_csv(filled):
    # the CSV streams the stored lines alone: each carries its lead's reference
    lines = list(BillingLine.objects.for_tenant(filled).select_related("lead"))
    assert len(lines) == 40 * 14
    assert all(line.lead_ref == line.lead.external_id != "" for line in lines)


def _some_line_ids(tenant) -> list[int]:
    return list(BillingLine.objects.for_tenant(tenant).values_list("pk", flat=True)[:3])


@pytest.mark.postgres
def test_the_copy_csv_has_the_cells_of_the_orm_csv(filled):
    records = list(selectors.stored_reports(filled, APRIL).select_related("customer"))
    counter: list[int] = []
    copied = b"".join(csv_export._copy_rows(filled, records, counter, "default"))
    copied_rows = list(csv.reader(io.StringIO(copied.decode())))
    orm_rows = [
        ["" if cell is None else str(cell) for cell in row]
        for row in csv_export._orm_rows(filled, APRIL, None, records)
    ]
    orm_rows = [next(csv.reader([_csv_line(row)])) for row in orm_rows]
    assert counter == [len(orm_rows)] and copied_rows == orm_rows


def _csv_line(row) -> str:
    out = io.StringIO()
    csv_export.csv_safety.writer(out).writerow(row)
    return out.getvalue()


def test_a_burst_of_batches_queues_one_refresh(tenant, django_capture_on_commit_callbacks):
    # given one refresh already waiting for April
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert refresh.period_mark_changed(tenant=tenant, months=[APRIL]) == [APRIL]
    # when more actions arrive before it ran
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert refresh.period_mark_changed(tenant=tenant, months=[APRIL]) == []
    # then nothing more is queued, and the month says it is behind
    assert len(first) == 1 and second == []
    assert reports.freshness(tenant, APRIL).pending


def test_late_actions_of_a_closed_month_refresh_the_next_open_month(
    filled, admin_user, django_capture_on_commit_callbacks
):
    services.period_close(tenant=filled, actor=admin_user, period=APRIL)
    late = {**_items(1)[0], "lead_id": "late", "email": "late@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        ingest_leads(tenant=filled, items=[late], source="api")
    may = BillingReport.objects.for_tenant(filled).get(period=MAY)
    assert may.adjustments["actions_count"] == 14
    assert not may.frozen


def _line_ids_by_customer(tenant) -> dict[str, set[int]]:
    ids: dict[str, set[int]] = {}
    for ref, pk in BillingLine.objects.for_tenant(tenant).values_list(
        "report__customer__external_ref", "pk"
    ):
        ids.setdefault(ref, set()).add(pk)
    return ids


def test_a_refresh_that_values_the_same_lines_leaves_them_in_place(filled):
    before = _line_ids_by_customer(filled)
    # when the month is valued again with nothing changed
    services.period_refresh(tenant=filled, period=APRIL)
    # then every stored line is the very row it was (none deleted and written anew)
    assert _line_ids_by_customer(filled) == before
    assert sum(map(len, before.values())) == 40 * 14


def test_new_actions_rewrite_only_their_customers_lines(filled, django_capture_on_commit_callbacks):
    before = _line_ids_by_customer(filled)
    more = {
        **_items(1)[0],
        "lead_id": "lead-new",
        "customer_id": "customer-1",
        "email": "new-person@example.com",
    }
    # when a lead of customer-1 arrives (its refresh runs on commit)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_leads(tenant=filled, items=[more], source="api")
    after = _line_ids_by_customer(filled)
    # then customer-1's lines are written anew, with the new actions; the others stay put
    assert after["customer-0"] == before["customer-0"]
    assert after["customer-2"] == before["customer-2"]
    assert not after["customer-1"] & before["customer-1"]
    assert len(after["customer-1"]) == len(before["customer-1"]) + 14
    # and what is stored still equals a recomputation of the month to the cent
    valuation = _recomputed(filled, APRIL)
    stored = BillingLine.objects.for_tenant(filled).filter(report__period=APRIL)
    assert sorted(stored.values_list("action_ref", "billed", "savings")) == sorted(
        (line.action_id, line.billed, line.savings) for line in valuation.lines
    )


def test_a_changed_lead_reference_rewrites_the_lines_that_carry_it(filled):
    lead = Lead.objects.for_tenant(filled).get(external_id="lead-4")
    Lead.objects.for_tenant(filled).filter(pk=lead.pk).update(external_id="lead-4-renamed")
    # when the month is valued again: the totals are the same, one lead's reference is not
    services.period_refresh(tenant=filled, period=APRIL)
    # then the lines carry the new reference (the CSV streams it from them)
    refs = set(BillingLine.objects.for_tenant(filled).filter(lead=lead).values_list("lead_ref"))
    assert refs == {("lead-4-renamed",)}


def test_deleting_a_lead_keeps_its_billed_lines_with_their_references(filled):
    lead = Lead.objects.for_tenant(filled).get(external_id="lead-5")
    lines = BillingLine.objects.for_tenant(filled).filter(lead=lead)
    action_refs = set(lines.values_list("action_ref", flat=True))
    assert action_refs
    # when the lead goes (its actions with it)
    lead.delete()
    # then the money record stays: the links are emptied, the copied identity is kept
    kept = BillingLine.objects.for_tenant(filled).filter(action_ref__in=action_refs)
    assert kept.count() == len(action_refs)
    assert set(kept.values_list("lead_id", "action_id", "lead_ref")) == {(None, None, "lead-5")}
