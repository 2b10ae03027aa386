"""Private files in an S3-compatible bucket (issue #23): with `AWS_STORAGE_BUCKET_NAME` set,
lead exports, import reports and invoice PDFs are stored in the bucket (moto's local S3 here),
never public, handed out as short-lived signed links, and purged with their retention."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.features.services import tenant_feature_set
from apps.leads.models import ImportJob, LeadExport
from apps.leads.retention import lead_files_purge
from apps.leads.tests.conftest import make_leads, url
from apps.leads.tests.test_imports import CSV_TEXT, run_flow
from apps.payments.services.invoices import invoice_for_payment
from apps.payments.tests.pdf_text import pdf_text
from apps.payments.tests.test_invoice_pages import paid
from apps.tenants.scoping import tenant_scope
from tests.s3 import local_s3

pytestmark = pytest.mark.django_db
BUCKET = "fastlead-private"
PREFIX = "private"


@pytest.fixture
def bucket(settings, monkeypatch):
    """The default storage as fastlead/settings.py builds it for AWS_STORAGE_BUCKET_NAME."""
    with local_s3(monkeypatch, BUCKET) as (s3, endpoint):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "default_acl": None,
                    "querystring_auth": True,
                    "querystring_expire": settings.PRIVATE_FILE_URL_SECONDS,
                    "signature_version": "s3v4",
                    "file_overwrite": False,
                    "location": PREFIX,
                },
            },
        }
        yield s3, endpoint


def keys(s3) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def fetch_signed(response, endpoint: str) -> httpx.Response:
    """Follow the app's redirect to the bucket: a signed link that expires soon."""
    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    link = response["Location"]
    query = parse_qs(urlsplit(link).query)
    assert link.startswith(f"{endpoint}/{BUCKET}/{PREFIX}/")
    assert "X-Amz-Signature" in query and query["X-Amz-Expires"] == ["300"]
    unsigned = httpx.get(link.split("?")[0])
    assert unsigned.status_code == 403  # private: nothing without the signature
    return httpx.get(link)


def test_a_background_export_lands_in_the_bucket_and_downloads_by_a_signed_link(
    bucket, analyst_api, tenant, django_capture_on_commit_callbacks
):
    s3, endpoint = bucket
    tenant_feature_set(tenant=tenant, feature="export", mode="grant", reason="tests")
    make_leads(tenant, [{"email": "anna@example.com", "name": "Анна"}])
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_api.post(
            url("api-lead-exports", tenant), {"format": "csv"}, format="json"
        )
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]
    with tenant_scope(tenant):
        export = LeadExport.objects.get(pk=export_id)
    assert export.status == "done"
    assert keys(s3) == [f"{PREFIX}/{export.file}"]

    download = analyst_api.get(url("api-lead-export-download", tenant, export_id=export_id))
    body = fetch_signed(download, endpoint)
    assert body.status_code == 200
    assert 'filename="' in body.headers["content-disposition"]
    assert "anna@example.com" in body.content.decode("utf-8-sig")

    export.created_at = timezone.now() - timedelta(days=400)
    LeadExport.objects.for_tenant(tenant).filter(pk=export_id).update(created_at=export.created_at)
    assert lead_files_purge()["exports"] == 1
    assert keys(s3) == []


def test_an_import_keeps_its_upload_and_report_in_the_bucket(
    bucket, operator_client_web, tenant, django_capture_on_commit_callbacks
):
    s3, endpoint = bucket
    job = run_flow(
        operator_client_web,
        tenant,
        "leads.csv",
        CSV_TEXT.encode(),
        django_capture_on_commit_callbacks,
    )
    assert job.rows_rejected == 2
    assert keys(s3) == sorted([f"{PREFIX}/{job.file.name}", f"{PREFIX}/{job.report.name}"])

    page = reverse("leads:import_report", args=[tenant.slug, job.pk])
    report = fetch_signed(operator_client_web.get(page), endpoint)
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["4", "5"]

    ImportJob.objects.for_tenant(tenant).filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    assert lead_files_purge()["imports"] == 1
    assert keys(s3) == []


def test_an_invoice_pdf_is_drawn_once_and_kept_in_the_bucket(bucket, tenant, analyst_client_web):
    s3, endpoint = bucket
    invoice = invoice_for_payment(paid(tenant))
    pdf_url = reverse("billing:invoice-pdf", args=[tenant.slug, invoice.pk])

    first = fetch_signed(analyst_client_web.get(pdf_url, {"lang": "en"}), endpoint)
    assert "Description" in pdf_text(first.content)
    stored = keys(s3)
    assert len(stored) == 1 and stored[0].startswith(f"{PREFIX}/invoices/{tenant.pk}/")
    again = fetch_signed(analyst_client_web.get(pdf_url, {"lang": "en"}), endpoint)
    assert again.content == first.content and keys(s3) == stored  # the issued document
