"""The dashboard: the lead page's personal-data card (export ZIP, withdrawal, erasure with a
confirmation), the "Data and privacy" page and the company's closing confirmation."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from apps.billing.services import access_block
from apps.billing.tests.helpers import subscribe
from apps.privacy.services.closure import tenant_is_closed
from apps.privacy.tests.seed import make_canary, seed_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(tenant):
    return seed_lead(tenant, make_canary())


def test_the_lead_page_shows_the_personal_data_card_to_admins(tenant, lead, admin_client_web):
    page = admin_client_web.get(f"/t/{tenant.slug}/leads/{lead.pk}/").content.decode()

    assert 'id="lead-data-export"' in page and 'id="lead-erase"' in page


def test_analysts_see_no_personal_data_actions(tenant, lead, analyst_client_web):
    page = analyst_client_web.get(f"/t/{tenant.slug}/leads/{lead.pk}/").content.decode()

    assert 'id="lead-data-export"' not in page and 'id="lead-erase"' not in page
    assert (
        analyst_client_web.post(f"/t/{tenant.slug}/leads/{lead.pk}/personal-data/").status_code
        == 403
    )


def test_the_lead_export_is_a_zip_of_json_and_csv(tenant, lead, admin_client_web):
    answer = admin_client_web.post(f"/t/{tenant.slug}/leads/{lead.pk}/personal-data/")

    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    stem = answer["Content-Disposition"].split('filename="')[1].removesuffix('.zip"')
    data = json.loads(archive.read(f"{stem}.json"))
    assert data["leads.lead"]["rows"][0]["email"] == lead.email
    assert lead.email in archive.read(f"{stem}.csv").decode("utf-8-sig")


def test_erasure_asks_for_confirmation_first(tenant, lead, admin_client_web):
    url = f"/t/{tenant.slug}/leads/{lead.pk}/erase/"

    assert admin_client_web.get(url).status_code == 200
    unconfirmed = admin_client_web.post(url, {})
    lead.refresh_from_db()
    assert unconfirmed.status_code == 400 and lead.email

    done = admin_client_web.post(url, {"confirm": "on"})
    lead.refresh_from_db()
    assert done.status_code == 302 and lead.email == ""


def test_operators_do_not_open_the_privacy_page(tenant, operator_client_web):
    assert operator_client_web.get(f"/t/{tenant.slug}/privacy/").status_code == 403
    assert operator_client_web.post(f"/t/{tenant.slug}/privacy/close/").status_code == 403


def test_the_privacy_page_and_the_close_confirmation(tenant, admin_client_web):
    assert admin_client_web.get(f"/t/{tenant.slug}/privacy/").status_code == 200
    url = f"/t/{tenant.slug}/privacy/close/"
    assert admin_client_web.get(url).status_code == 200

    wrong = admin_client_web.post(url, {"confirm_slug": "not-it"})
    assert wrong.status_code == 400 and not tenant_is_closed(tenant.pk)

    closed = admin_client_web.post(url, {"confirm_slug": tenant.slug})
    assert closed.status_code == 302 and tenant_is_closed(tenant.pk)
    page = admin_client_web.get(f"/t/{tenant.slug}/privacy/").content.decode()
    assert 'id="company-closed"' in page


def test_the_pages_read_in_russian(tenant, lead, admin_client_web):
    admin_client_web.cookies["django_language"] = "ru"
    page = admin_client_web.get(f"/t/{tenant.slug}/privacy/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Закрыть компанию" in page.content.decode()


def test_a_blocked_company_still_reaches_its_data(
    tenant, admin_client_web, admin_api, django_capture_on_commit_callbacks
):
    subscribe(tenant, "pro")
    with django_capture_on_commit_callbacks(execute=True):
        access_block(tenant=tenant, reason="test")

    page = admin_client_web.get(f"/t/{tenant.slug}/privacy/")
    api = admin_api.get(f"/api/v1/tenants/{tenant.pk}/privacy/export/")

    assert page.status_code == 200 and api.status_code == 200
    assert admin_client_web.get(f"/t/{tenant.slug}/leads/").status_code == 302  # to billing
