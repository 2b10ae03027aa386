"""File imports: reading CSV/XLSX (encodings, delimiters, bad files), guessing the mapping, the
upload → mapping → progress → report flow, the task, and the demo data."""

import codecs
import csv
import io
import zipfile
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from apps.billing.selectors import subscription_current
from apps.core.errors import ValidationFailed
from apps.leads.imports import reader
from apps.leads.imports.mapping import guess_mapping, parse_moment, row_item, validate_mapping
from apps.leads.imports.tasks import import_leads_task
from apps.leads.models import Lead, LeadList, ListKind, TimelineEntry
from apps.leads.models_imports import ImportJob, ImportStatus
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
CSV_TEXT = (
    "Имя;Email;Телефон;Компания;ID лида\n"
    "Иван Петров;ivan@example.ru;+7 916 123-45-67;ООО Ромашка;crm-1\n"
    "Ольга Смирнова;olga@example.ru;8 (903) 555-12-34;Лютик;crm-2\n"
    "Broken Email;not-an-email;;;crm-3\n"
    ";;;Без контактов;\n"
)


def page(name: str, tenant, **kwargs) -> str:
    return reverse(f"leads:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def scoped(tenant, query):
    with tenant_scope(tenant):
        return query()


def job_of(tenant) -> ImportJob:
    return scoped(tenant, lambda: ImportJob.objects.order_by("-pk").first())


def start(client, tenant, job, mapping=None, **extra):
    data = {"target_list": "new", **extra}
    for index, field in (mapping if mapping is not None else job.mapping).items():
        data[f"col_{index}"] = field
    return client.post(page("import_job", tenant, import_id=job.pk), data)


def run_flow(client, tenant, name, data, django_capture_on_commit_callbacks, **extra):
    response = client.post(page("import", tenant), {"file": upload(name, data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = job_of(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, tenant, job, **extra)
    assert response.status_code == 302, response.content.decode()[:3000]
    return job_of(tenant)


# --- reading files ---------------------------------------------------------------------------


def test_utf8_with_and_without_bom_and_cp1251_are_recognised():
    text = "Имя;Почта\nИван;ivan@example.ru\n"
    assert reader.detect_encoding(text.encode("utf-8")) == "utf-8"
    assert reader.detect_encoding(codecs.BOM_UTF8 + text.encode("utf-8")) == "utf-8-sig"
    assert reader.detect_encoding(text.encode("cp1251")) == "cp1251"


def test_a_broken_encoding_names_the_line():
    good = "Имя;Почта\nИван;ivan@example.ru\n".encode()
    damaged = good + "Ольга;olga@example.ru\n".encode()[:3] + b"\xff\xfe\n"
    with pytest.raises(reader.ImportFileError) as error:
        reader.detect_encoding(damaged)
    assert error.value.code == "broken_encoding" and "3" in error.value.message
    with pytest.raises(reader.ImportFileError):
        reader.detect_encoding("Имя;Почта\n".encode("utf-16"))


def test_utf8_mojibake_read_as_cp1251_is_refused():
    mixed = "Имя\nИван\n".encode() + "Ольга\n".encode("cp1251")
    # mostly UTF-8 with a cp1251 line: a damaged file, not a cp1251 one
    with pytest.raises(reader.ImportFileError):
        reader.detect_encoding(mixed)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a;b;c\n1;2;3\n", ";"),
        ("a,b\n1,2\n", ","),
        ("a\tb\n1\t2\n", "\t"),
        ("email\nx@y.ru\n", ","),
    ],
)
def test_the_delimiter_is_detected(text, delimiter):
    assert reader.detect_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("leads.csv", b"", "empty_file"),
        ("leads.csv", b"  \n\n", "empty_file"),
        ("leads.csv", "Имя;Почта\n".encode(), "empty_file"),
        ("leads.pdf", b"%PDF-1.4", "unsupported_format"),
        ("leads.xls", b"\xd0\xcf\x11\xe0rest", "unsupported_format"),
        ("leads.xlsx", b"not a zip at all", "malformed_xlsx"),
        ("leads.csv", b";;\nivan@example.ru;;\n", "missing_columns"),
    ],
)
def test_bad_files_get_a_specific_error(name, data, code):
    with pytest.raises(reader.ImportFileError) as error:
        reader.inspect(name, data)
    assert error.value.code == code


def test_xlsx_cells_become_text_people_would_type():
    data = xlsx_bytes(
        [
            ["E-mail", "Phone", "Created"],
            ["ivan@example.ru", 79161234567, datetime(2024, 4, 1, 10, 30)],
        ]
    )
    sheet = reader.inspect("leads.xlsx", data)
    assert sheet.format == "xlsx" and sheet.headers == ["E-mail", "Phone", "Created"]
    assert sheet.preview == [["ivan@example.ru", "79161234567", "2024-04-01 10:30:00"]]


# --- mapping ---------------------------------------------------------------------------------


def test_columns_are_guessed_from_russian_and_english_names():
    headers = ["ФИО", "E-mail", "Моб. телефон", "Company", "Должность", "Lead ID", "Дата", "Notes"]
    assert guess_mapping(headers) == {
        "0": "name",
        "1": "email",
        "2": "phone",
        "3": "company",
        "4": "role",
        "5": "external_id",
        "6": "created_at",
    }
    assert guess_mapping(["Имя", "Фамилия", "Почта"]) == {"0": "name", "1": "name", "2": "email"}


def test_a_mapping_needs_a_contact_column_and_one_column_per_field():
    with pytest.raises(ValidationFailed) as error:
        validate_mapping({"0": "name", "1": "company"}, 2)
    assert error.value.code == "missing_columns"
    with pytest.raises(ValidationFailed) as error:
        validate_mapping({"0": "email", "1": "email"}, 2)
    assert "col_1" in error.value.fields
    assert validate_mapping({"0": "email", "1": ""}, 2) == {"0": "email"}


def test_a_row_becomes_an_ingestion_item():
    mapping = {"0": "name", "1": "name", "2": "email", "3": "customer", "4": "created_at"}
    item = row_item(["Иван", "Петров", " ivan@example.ru ", "", "31.12.2024 10:00"], mapping)
    assert item["name"] == "Иван Петров" and item["email"] == "ivan@example.ru"
    assert "customer_id" not in item
    assert item["created_at"].startswith("2024-12-31T10:00:00+03:00")  # Moscow time
    assert parse_moment("когда-то") == "когда-то"  # left for ingestion to reject


def test_the_rejected_rows_report_never_writes_a_formula_header_included(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    # given a file whose header and rejected cells look like formulas
    text = '=HYPERLINK("http://evil");email\n@SUM(1+1);not-an-email\n'
    job = run_flow(
        operator_client_web, tenant, "evil.csv", text.encode(), django_capture_on_commit_callbacks
    )
    assert job.rows_rejected == 1

    # when the report is downloaded
    response = operator_client_web.get(page("import_report", tenant, import_id=job.pk))
    raw = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(raw)))

    # then every formula-like cell is quoted, the header too
    assert header[2] == '\'=HYPERLINK("http://evil")'
    assert row[2] == "'@SUM(1+1)"


# --- the flow ----------------------------------------------------------------------------------


def test_a_csv_upload_shows_the_columns_with_a_preview_and_guesses(operator_client_web, tenant):
    response = operator_client_web.post(
        page("import", tenant), {"file": upload("leads.csv", CSV_TEXT.encode())}
    )
    job = job_of(tenant)
    assert response["Location"] == page("import_job", tenant, import_id=job.pk)
    assert job.status == ImportStatus.PENDING and job.is_draft
    assert job.encoding == "utf-8" and job.delimiter == ";"
    assert job.mapping == {
        "0": "name",
        "1": "email",
        "2": "phone",
        "3": "company",
        "4": "external_id",
    }
    html = operator_client_web.get(response["Location"]).content.decode()
    assert "Иван Петров" in html and "ООО Ромашка" in html  # the preview
    assert 'name="col_1"' in html and '<option value="email" selected>' in html


def test_a_csv_import_runs_and_reports_rejected_rows(
    operator_client_web, operator_user, tenant, django_capture_on_commit_callbacks
):
    job = run_flow(
        operator_client_web,
        tenant,
        "leads.csv",
        CSV_TEXT.encode(),
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.DONE
    assert (job.rows_total, job.rows_processed) == (4, 4)
    assert (job.rows_created, job.rows_merged, job.rows_rejected) == (2, 0, 2)
    assert job.lead_list.kind == ListKind.IMPORT and "leads.csv" in job.lead_list.name
    with tenant_scope(tenant):
        ivan = Lead.objects.get(external_id="crm-1")
        assert (ivan.email, ivan.phone, ivan.source) == (
            "ivan@example.ru",
            "+79161234567",
            "import",
        )
        assert ivan.list_id == job.lead_list_id
        assert Lead.objects.get(external_id="crm-2").phone == "+79035551234"
        created = TimelineEntry.objects.get(lead=ivan, kind="created")
        assert created.actor_id == operator_user.pk
    response = operator_client_web.get(page("import_report", tenant, import_id=job.pk))
    report = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert report[0][:2] == ["Строка", "Причины"] and report[0][2:] == job.headers
    assert [row[0] for row in report[1:]] == ["4", "5"]
    assert report[1][1].startswith("Email:") and report[1][2] == "Broken Email"


def test_the_progress_page_polls_until_the_import_is_done(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    response = operator_client_web.post(
        page("import", tenant), {"file": upload("leads.csv", CSV_TEXT.encode())}
    )
    job = job_of(tenant)
    start(operator_client_web, tenant, job)  # queued: its task waits for the commit
    html = operator_client_web.get(page("import_status", tenant, import_id=job.pk), **HX)
    html = html.content.decode()
    assert 'hx-trigger="every 1s"' in html and "import-pending" in html
    with django_capture_on_commit_callbacks(execute=True):
        import_leads_task(str(tenant.pk), job.pk)
    html = operator_client_web.get(page("import_status", tenant, import_id=job.pk), **HX)
    html = html.content.decode()
    assert "every 1s" not in html and "import-done" in html
    assert 'data-count="created">2<' in html and 'data-count="rejected">2<' in html
    assert page("import_report", tenant, import_id=job.pk) in html
    assert response.status_code == 302


def test_a_cp1251_semicolon_csv_imports(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    job = run_flow(
        operator_client_web,
        tenant,
        "выгрузка.csv",
        CSV_TEXT.encode("cp1251"),
        django_capture_on_commit_callbacks,
    )
    assert job.encoding == "cp1251" and job.rows_created == 2
    assert scoped(tenant, lambda: Lead.objects.get(external_id="crm-1").name) == "Иван Петров"


def test_an_xlsx_imports_into_a_chosen_list(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        target = LeadList.objects.create(tenant=tenant, name="Выставка")
    data = xlsx_bytes(
        [
            ["Name", "E-mail", "Phone", "Created"],
            ["John Smith", "john@example.com", 79161112233, datetime(2024, 4, 1, 10, 0)],
            ["No Contact", None, None, None],
        ]
    )
    job = run_flow(
        operator_client_web,
        tenant,
        "leads.xlsx",
        data,
        django_capture_on_commit_callbacks,
        target_list=str(target.pk),
    )
    assert (job.format, job.rows_created, job.rows_rejected) == ("xlsx", 1, 1)
    with tenant_scope(tenant):
        john = Lead.objects.get(email="john@example.com")
        assert john.list_id == target.pk and john.phone == "+79161112233"
        assert john.created_at.isoformat().startswith("2024-04-01T07:00:00")  # 10:00 Moscow


def test_importing_the_same_file_again_creates_nothing_new(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    run_flow(
        operator_client_web, tenant, "a.csv", CSV_TEXT.encode(), django_capture_on_commit_callbacks
    )
    again = run_flow(
        operator_client_web, tenant, "a.csv", CSV_TEXT.encode(), django_capture_on_commit_callbacks
    )
    assert (again.rows_created, again.rows_merged, again.rows_rejected) == (0, 2, 2)
    assert scoped(tenant, Lead.objects.count) == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("leads.csv", b"", "Choose a file"),
        ("leads.csv", "Имя;Почта\n".encode(), "no rows"),
        ("leads.csv", "Имя;Почта\nИван;ivan@x.ru\n".encode() + b"\xff\xfe\xfa\n", "encoding"),
        ("leads.docx", b"whatever", "Unsupported file type"),
    ],
)
def test_upload_errors_are_shown_on_the_form(operator_client_web, tenant, name, data, message):
    operator_client_web.cookies["django_language"] = "en"
    response = operator_client_web.post(
        page("import", tenant), {"file": upload(name, data)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 400 and message in html, html[:3000]
    assert not scoped(tenant, ImportJob.objects.exists)


def test_a_mapping_without_a_contact_column_is_refused(operator_client_web, tenant):
    operator_client_web.post(
        page("import", tenant), {"file": upload("leads.csv", CSV_TEXT.encode())}
    )
    job = job_of(tenant)
    response = start(operator_client_web, tenant, job, mapping={"0": "name", "3": "company"})
    assert response.status_code == 400 and "alert-error" in response.content.decode()
    assert job_of(tenant).is_draft


def test_an_import_starts_only_once(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    job = run_flow(
        operator_client_web, tenant, "a.csv", CSV_TEXT.encode(), django_capture_on_commit_callbacks
    )
    response = start(operator_client_web, tenant, job)
    assert response.status_code == 302  # back to the progress page, nothing queued again
    import_leads_task(str(tenant.pk), job.pk)  # a re-delivered task does nothing either
    assert job_of(tenant).rows_created == 2 and scoped(tenant, Lead.objects.count) == 2


def test_a_killed_run_resumes_after_the_committed_rows(
    operator_client_web, tenant, django_capture_on_commit_callbacks
):
    operator_client_web.post(page("import", tenant), {"file": upload("a.csv", CSV_TEXT.encode())})
    job = job_of(tenant)
    start(operator_client_web, tenant, job)
    with tenant_scope(tenant):
        # as if a worker had stored the first 2 rows and died
        ImportJob.objects.filter(pk=job.pk).update(rows_total=4, rows_processed=2, rows_created=2)
    import_leads_task(str(tenant.pk), job.pk)
    job = job_of(tenant)
    assert (job.status, job.rows_processed, job.rows_created, job.rows_rejected) == (
        "done",
        4,
        2,
        2,
    )
    assert scoped(tenant, Lead.objects.count) == 0  # rows 1-2 were "stored" by the dead worker


def test_imports_are_private_to_the_company_and_to_workers(
    operator_client_web, analyst_user, outsider, tenant, django_capture_on_commit_callbacks
):
    job = run_flow(
        operator_client_web, tenant, "a.csv", CSV_TEXT.encode(), django_capture_on_commit_callbacks
    )
    stranger, analyst = Client(), Client()
    stranger.force_login(outsider)
    analyst.force_login(analyst_user)
    for name in ("import_job", "import_status", "import_report"):
        url = page(name, tenant, import_id=job.pk)
        assert stranger.get(url).status_code == 404, url
        assert analyst.get(url).status_code == 403, url


def test_a_failed_file_is_recorded_on_the_job(operator_client_web, tenant):
    operator_client_web.post(page("import", tenant), {"file": upload("a.csv", CSV_TEXT.encode())})
    job = job_of(tenant)
    start(operator_client_web, tenant, job)
    with tenant_scope(tenant):
        ImportJob.objects.filter(pk=job.pk).update(format="xlsx")  # the file no longer parses
    import_leads_task(str(tenant.pk), job.pk)
    job = job_of(tenant)
    assert job.status == ImportStatus.FAILED and job.error
    html = operator_client_web.get(page("import_job", tenant, import_id=job.pk)).content.decode()
    assert "import-failed" in html


# --- demo data ---------------------------------------------------------------------------------


def test_seed_demo_creates_demo_leads_once(monkeypatch):
    monkeypatch.setattr("apps.leads.demo.DEMO_LEADS", 300)
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    tenant = Tenant.objects.get(name="Демо Компания")
    assert subscription_current(tenant).plan.code == "pro"  # paid in the sandbox (billing/demo.py)
    with tenant_scope(tenant):
        assert Lead.objects.count() == 304  # 300 demo leads + the 4 of the seed-002 sample
        assert Lead.objects.filter(external_id="uuid-1").exists()
        assert Lead.objects.exclude(status="new").exists()
        assert Lead.objects.filter(assigned_to__isnull=False).exists()
        assert len(set(Lead.objects.values_list("source", flat=True))) >= 6
        assert TimelineEntry.objects.filter(kind="note").exists()
        assert LeadList.objects.count() == 4


def damaged_xlsx(rows: int = 3000, keep: float = 0.5) -> bytes:
    """A workbook that opens (its zip directory is intact) but whose sheet is cut in half,
    as a file truncated mid-upload after repacking would be."""
    good = zipfile.ZipFile(
        io.BytesIO(
            xlsx_bytes(
                [["Имя", "Почта"]] + [[f"Имя {i}", f"lead{i}@example.ru"] for i in range(rows)]
            )
        )
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as damaged:
        for entry in good.infolist():
            data = good.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = data[: int(len(data) * keep)]
            damaged.writestr(entry, data)
    return out.getvalue()


def test_a_truncated_sheet_is_a_specific_error_not_a_crash():
    # when its header and preview rows are read
    with pytest.raises(reader.ImportFileError) as error:
        reader.inspect("leads.xlsx", damaged_xlsx(rows=20, keep=0.3))
    assert error.value.code == "malformed_xlsx"


def test_a_sheet_broken_past_the_preview_fails_the_job_with_the_reason():
    # the upload's first rows are fine; the task reading every row meets the damage
    rows = reader.iter_data_rows(io.BytesIO(damaged_xlsx(rows=3000)), "xlsx")
    with pytest.raises(reader.ImportFileError) as error:
        for _row in rows:
            pass
    assert error.value.code == "malformed_xlsx"


def test_a_truncated_workbook_upload_answers_400_on_the_form(operator_client_web, tenant):
    response = operator_client_web.post(
        page("import", tenant), {"file": upload("leads.xlsx", damaged_xlsx(rows=20, keep=0.3))}
    )

    assert response.status_code == 400
    assert not scoped(tenant, ImportJob.objects.exists)
