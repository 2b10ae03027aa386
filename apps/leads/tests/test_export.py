"""Streaming CSV/XLSX exports of a filter, and background export jobs."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse

from apps.leads.export import csv_stream, export_rows, stream_export
from apps.leads.export.columns import COLUMNS, export_values
from apps.leads.models import LeadExport
from apps.leads.selectors import lead_filter
from apps.leads.tasks import export_leads_task
from apps.leads.tests.conftest import make_leads, url
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def parse_utc(text: str) -> datetime:
    """Read back a time written by the CSV export."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture
def leads(tenant, other_tenant):
    make_leads(other_tenant, [{"email": "foreign@example.com"}])
    return make_leads(
        tenant,
        [
            {
                "email": "anna@example.com",
                "name": 'Анна, "Альфа"',
                "company": '=HYPERLINK("http://evil")',
                "phone": "+7 916 123-45-67",
                "customer_id": "c1",
                "product_id": "p1",
                "created_at": "2024-04-01T09:55:00Z",
                "consent": {"processing": True},
            },
            {
                "email": "boris@example.com",
                "name": "Boris\nNewline",
                "created_at": "2024-04-02T10:00:00Z",
            },
            {"lead_id": "only-id", "created_at": "2024-04-03T10:00:00Z", "source": "telegram"},
        ],
    )


def body_of(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def test_csv_export_streams_the_filter(analyst_api, tenant, leads):
    response = analyst_api.get(url("api-leads-export", tenant), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    content = body_of(response)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 4 and len(rows[0]) == len(COLUMNS)
    header, newest, middle, oldest = rows
    assert header[0] == "ID"
    assert [r[0] for r in rows[1:]] == [str(i) for i in reversed(leads)]
    assert oldest[2] == 'Анна, "Альфа"'
    assert oldest[3] == "anna@example.com" and oldest[4] == "+79161234567"
    assert oldest[5] == '\'=HYPERLINK("http://evil")'  # never a formula in a spreadsheet
    assert parse_utc(oldest[1]).isoformat() == "2024-04-01T09:55:00+00:00"
    assert oldest[14] == "c1" and oldest[15] == "p1"
    assert oldest[18] == "true" and newest[18] == "false"
    assert middle[2] == "Boris\nNewline"
    assert newest[11] == "telegram" and newest[13] == "only-id"


def test_csv_export_respects_filters(analyst_api, tenant, leads):
    response = analyst_api.get(
        url("api-leads-export", tenant), {"format": "csv", "source": "telegram"}
    )
    rows = list(csv.reader(io.StringIO(body_of(response).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [str(leads[2])]


def test_xlsx_export_opens_with_typed_cells(analyst_api, tenant, leads):
    response = analyst_api.get(url("api-leads-export", tenant), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(body_of(response)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    oldest = rows[3]
    assert oldest[0] == leads[0] and isinstance(oldest[0], int)
    assert isinstance(oldest[1], datetime)
    assert sheet.cell(row=4, column=2).is_date
    assert oldest[1] == datetime(2024, 4, 1, 12, 55)  # Europe/Moscow, as shown to the user
    assert oldest[2] == 'Анна, "Альфа"' and oldest[5] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=4, column=6).data_type == "s"  # text, not a formula
    assert oldest[18] is True and rows[1][18] is False
    assert rows[2][2] == "Boris\nNewline"


def test_unknown_format_answers_400(analyst_api, tenant):
    response = analyst_api.get(url("api-leads-export", tenant), {"format": "pdf"})
    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]


def test_export_runs_after_the_tenant_scope_is_gone(tenant, leads):
    """The middleware resets the scope before the body streams: the generators carry the SQL."""
    with tenant_scope(tenant):
        chunks = stream_export(lead_filter(tenant, {}), "csv")
        rows = export_rows(lead_filter(tenant, {}))
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(parsed) == 4
    assert len(list(rows)) == 3


# --- background exports -------------------------------------------------------------------


def test_background_export_writes_a_file_with_a_download_link(
    analyst_api, tenant, leads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_api.post(
            url("api-lead-exports", tenant),
            {"format": "xlsx", "filter": {"status": "new"}},
            format="json",
        )
    assert response.status_code == 202
    export_id = response.json()["id"]
    status = analyst_api.get(url("api-lead-export", tenant, export_id=export_id)).json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["rows_total"] == 3 and status["rows_done"] == 3
    assert status["download_url"].endswith(f"/leads/exports/{export_id}/download/")
    with tenant_scope(tenant):
        export = LeadExport.objects.get(pk=export_id)
    path = Path(settings.MEDIA_ROOT) / export.file
    assert export.file.startswith(f"exports/{tenant.pk}/") and path.is_file()
    download = analyst_api.get(status["download_url"])
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.active.max_row == 4


def test_background_export_is_idempotent(tenant, leads, analyst_user):
    with tenant_scope(tenant):
        export = LeadExport.objects.create(tenant=tenant, format="csv", created_by=analyst_user)
    export_leads_task.delay(str(tenant.pk), export.pk)
    first = LeadExport.objects.for_tenant(tenant).get(pk=export.pk)
    export_leads_task.delay(str(tenant.pk), export.pk)
    again = LeadExport.objects.for_tenant(tenant).get(pk=export.pk)
    assert first.status == again.status == "done" and first.file == again.file


def test_a_failed_export_records_the_reason(tenant, leads):
    export = LeadExport.objects.create(tenant=tenant, format="csv", filters={"status": "archived"})
    export_leads_task.delay(str(tenant.pk), export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and export.error


def test_an_unfinished_export_cannot_be_downloaded(analyst_api, tenant):
    export = LeadExport.objects.create(tenant=tenant, format="csv")
    response = analyst_api.get(url("api-lead-export-download", tenant, export_id=export.pk))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "export_not_ready"


def test_another_tenants_export_is_404(analyst_api, tenant, other_tenant):
    export = LeadExport.objects.create(tenant=other_tenant, format="csv", status="done", file="x")
    for name in ("api-lead-export", "api-lead-export-download"):
        assert analyst_api.get(url(name, tenant, export_id=export.pk)).status_code == 404


def test_bad_background_export_requests_answer_400(analyst_api, tenant):
    for payload in ({"format": "pdf"}, {"format": "csv", "filter": {"status": "archived"}}, {}):
        response = analyst_api.post(url("api-lead-exports", tenant), payload, format="json")
        assert response.status_code == 400, payload


@pytest.mark.postgres
def test_copy_csv_reads_the_same_as_the_generic_writer(tenant, leads):
    with tenant_scope(tenant):
        queryset = lead_filter(tenant, {})
        by_copy = b"".join(
            csv_stream._stream_copy(connection, *csv_stream.copy_statement(queryset), on_rows=None)
        )
        by_python = b"".join(csv_stream._stream_python(export_values(queryset), on_rows=None))
    parse = lambda data: list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))  # noqa: E731
    assert parse(by_copy) == parse(by_python)
    assert len(parse(by_copy)) == 4


def test_csv_export_escapes_formulas_in_every_text_column(analyst_api, tenant):
    # given a lead whose machine columns (e-mail, lead id, customer, product) carry formulas
    make_leads(
        tenant,
        [
            {
                "email": "=cmd|'/Ccalc'!A0@x.test",
                "lead_id": '=HYPERLINK("http://evil")',
                "customer_id": "@SUM(1+1)",
                "product_id": "-2+3+cmd|x",
                "lead_type": "+cmd|' /C calc'!A0",
            }
        ],
    )

    # when it is exported
    response = analyst_api.get(url("api-leads-export", tenant), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(body_of(response).decode("utf-8-sig"))))

    # then no cell of it starts a formula
    [row] = rows[1:]
    assert row[3] == "'=cmd|'/ccalc'!a0@x.test"  # e-mails are stored lower-case
    assert row[13] == '\'=HYPERLINK("http://evil")'
    assert row[14] == "'@SUM(1+1)" and row[15] == "'-2+3+cmd|x"
    assert row[12] == "'+cmd|' /C calc'!A0"
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
