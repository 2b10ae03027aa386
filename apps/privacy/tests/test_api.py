"""The privacy API: a lead's data exported and erased, consent withdrawn, retention, the export
of everything and closing the company — admins only, another company's ids answer 404."""

from __future__ import annotations

import io
import zipfile

import pytest

from apps.privacy.models import TenantExport
from apps.privacy.tests.seed import make_canary, seed_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(tenant):
    return seed_lead(tenant, make_canary())


def _base(tenant) -> str:
    return f"/api/v1/tenants/{tenant.pk}"


def test_export_returns_every_place_as_json_and_csv(tenant, lead, admin_api):
    answer = admin_api.post(f"{_base(tenant)}/leads/{lead.pk}/personal-data-export/")

    assert answer.status_code == 200
    body = answer.json()
    assert body["lead_id"] == lead.pk
    assert body["places"]["leads.lead"]["rows"][0]["email"] == lead.email
    assert "messaging.message" in body["places"] and "booking.booking" in body["places"]
    assert body["csv"].startswith("place,row_id,field,value")
    assert lead.email in body["csv"]


def test_erase_needs_confirmation_then_erases(tenant, lead, admin_api):
    url = f"{_base(tenant)}/leads/{lead.pk}/erase/"

    refused = admin_api.post(url, {"confirm": False}, format="json")
    erased = admin_api.post(url, {"confirm": True}, format="json")

    assert refused.status_code == 400 and "confirm" in refused.json()["error"]["fields"]
    assert erased.status_code == 200 and erased.json()["places"]["leads.lead"] == 1
    lead.refresh_from_db()
    assert lead.email == ""
    # what the API shows of the erased lead still keeps its documented shape (schemathesis)
    enrichments = admin_api.get(f"{_base(tenant)}/leads/{lead.pk}/enrichments/").json()
    items = enrichments["results"] if isinstance(enrichments, dict) else enrichments
    assert items and all(item["fields"] == {} for item in items)


def test_only_admins_erase_and_other_companies_get_404(
    tenant, lead, operator_api, outsider_api, admin_api, other_tenant
):
    url = f"{_base(tenant)}/leads/{lead.pk}/erase/"
    assert operator_api.post(url, {"confirm": True}, format="json").status_code == 403
    assert outsider_api.post(url, {"confirm": True}, format="json").status_code == 404
    foreign = seed_lead(other_tenant, make_canary(), n=1)
    mine = f"{_base(tenant)}/leads/{foreign.pk}/personal-data-export/"
    assert admin_api.post(mine).status_code == 404


def test_operators_withdraw_consent(tenant, lead, operator_api):
    answer = operator_api.post(
        f"{_base(tenant)}/leads/{lead.pk}/consent/withdraw/", {}, format="json"
    )

    assert answer.status_code == 200
    assert answer.json()["processing_refused"] is True
    assert {c["purpose"] for c in answer.json()["consents"] if not c["granted"]} == {
        "processing",
        "marketing",
    }


def test_retention_is_read_and_changed_with_field_errors(tenant, admin_api):
    url = f"{_base(tenant)}/privacy/retention/"

    assert admin_api.get(url).json()["conversations_days"] is None
    bad = admin_api.put(url, {"conversations_days": 0}, format="json")
    good = admin_api.put(url, {"conversations_days": 30, "tickets_days": None}, format="json")

    assert bad.status_code == 400 and "conversations_days" in bad.json()["error"]["fields"]
    assert good.status_code == 200 and good.json()["conversations_days"] == 30


def test_the_export_of_everything_is_built_in_background_and_downloaded(
    tenant, lead, admin_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = admin_api.post(f"{_base(tenant)}/privacy/export/")
    assert started.status_code == 202

    export = TenantExport.objects.for_tenant(tenant).get()
    detail = admin_api.get(f"{_base(tenant)}/privacy/export/{export.pk}/").json()
    assert detail["status"] == "done" and detail["download_url"]
    download = admin_api.get(detail["download_url"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert "leads.lead.csv" in names and "messaging.message.csv" in names
    assert lead.email in archive.read("leads.lead.csv").decode("utf-8-sig")
    assert not any("webhookendpoint" in n and "secret" in archive.read(n).decode() for n in names)


def test_closing_needs_the_slug_and_a_person(tenant, admin_api):
    url = f"{_base(tenant)}/close/"

    wrong = admin_api.post(url, {"confirm_slug": "nope"}, format="json")
    closed = admin_api.post(url, {"confirm_slug": tenant.slug}, format="json")
    again = admin_api.post(url, {"confirm_slug": tenant.slug}, format="json")

    assert wrong.status_code == 400 and "confirm_slug" in wrong.json()["error"]["fields"]
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert again.status_code == 403  # read-only now: the middleware answers first


def test_a_user_exports_their_own_data(admin_api, admin_user):
    answer = admin_api.post("/api/v1/me/personal-data-export/")

    assert answer.status_code == 200
    places = answer.json()["places"]
    assert places["accounts.user"]["rows"][0]["email"] == admin_user.email
    assert admin_user.email in answer.json()["csv"]
