"""/api/v1/tenants/{id}/hyropages/: create from a brief (202, generated in the background),
list with views and conversions, read, edit (400 per field, 409 stale), publish; roles, the
tool, the allowance and other companies."""

from __future__ import annotations

import re

import pytest
from django.test import TestCase

from apps.billing.tests.helpers import subscribe
from apps.hyropage.models import Generation, HyroPage
from apps.leads.ingestion import ingest_leads
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

BRIEF = {"product": "Школа английского онлайн", "audience": "взрослые", "language": "ru"}


@pytest.fixture(autouse=True)
def _on_pro(on_pro):
    """Pro includes HyroPage."""


def _url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.pk}/hyropages", *map(str, rest)]) + "/"


def _create(api, tenant, **brief):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post(_url(tenant), {**BRIEF, **brief}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def test_create_generates_and_the_detail_shows_the_model(
    operator_api, tenant, gemini, page_content
):
    gemini.ok(page_content)
    created = _create(operator_api, tenant)

    detail = operator_api.get(_url(tenant, created["id"])).json()

    assert detail["generation"]["status"] == "done"
    assert detail["generation"]["model_used"] == "gemini-2.5-flash"
    assert detail["content"]["headline"] == page_content["headline"]
    assert detail["status"] == "draft" and detail["slug"]


def test_edit_publish_and_list(operator_api, analyst_api, tenant, offline):
    created = _create(operator_api, tenant, slug="english")
    content = operator_api.get(_url(tenant, created["id"])).json()["content"]
    content["headline"] = "Английский для работы"

    edited = operator_api.patch(
        _url(tenant, created["id"]), {"content": content, "version": 1}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = operator_api.patch(
        _url(tenant, created["id"]), {"content": content, "version": 1}, format="json"
    )
    assert stale.status_code == 409

    published = operator_api.post(
        _url(tenant, created["id"], "publish"), {"published": True}, format="json"
    )
    assert published.status_code == 200 and published.json()["status"] == "published"
    [listed] = analyst_api.get(_url(tenant)).json()
    assert listed["public_url"].endswith(f"/p/{tenant.slug}/english/")
    assert (listed["views"], listed["conversions"]) == (0, 0)


def test_bad_input_answers_400_per_field(operator_api, tenant, offline):
    response = operator_api.post(
        _url(tenant), {"product": "", "audience": "x", "language": "de"}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"product", "language"} <= set(fields)

    created = _create(operator_api, tenant)
    content = operator_api.get(_url(tenant, created["id"])).json()["content"]
    content["value_points"] = content["value_points"][:1]
    bad = operator_api.patch(_url(tenant, created["id"]), {"content": content}, format="json")
    assert bad.status_code == 400
    assert "content.value_points.non_field_errors" in bad.json()["error"]["fields"]


def test_a_taken_slug_is_a_field_error(operator_api, tenant, offline):
    _create(operator_api, tenant, slug="same")
    response = operator_api.post(_url(tenant), {**BRIEF, "slug": "same"}, format="json")
    assert response.status_code == 400 and "slug" in response.json()["error"]["fields"]


def test_the_monthly_allowance_stops_ai_generations(
    operator_api, tenant, gemini, settings, page_content
):
    settings.HYROPAGE_MONTHLY_GENERATIONS = {"pro": 1}
    gemini.ok(page_content)
    _create(operator_api, tenant)

    refused = operator_api.post(_url(tenant), BRIEF, format="json")

    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "quota_exceeded"
    with tenant_scope(tenant):
        assert HyroPage.objects.count() == 1 and Generation.objects.count() == 1


def test_offline_generations_are_not_counted(operator_api, tenant, offline, settings):
    settings.HYROPAGE_MONTHLY_GENERATIONS = {"pro": 0}
    assert operator_api.post(_url(tenant), BRIEF, format="json").status_code == 202


def test_analyst_reads_but_cannot_create(analyst_api, tenant, offline):
    assert analyst_api.get(_url(tenant)).status_code == 200
    assert analyst_api.post(_url(tenant), BRIEF, format="json").status_code == 403


def test_another_company_gets_404(operator_api, outsider_api, tenant, offline):
    created = _create(operator_api, tenant)
    assert outsider_api.get(_url(tenant)).status_code == 404
    assert outsider_api.get(_url(tenant, created["id"])).status_code == 404


def test_without_the_tool_403(operator_api, tenant, offline):

    subscribe(tenant, "start")
    response = operator_api.get(_url(tenant))
    assert response.status_code == 403 and response.json()["error"]["code"] == "feature_locked"


def test_a_personal_page_for_a_lead_is_hidden_from_search(operator_api, tenant, offline, client):

    outcome = ingest_leads(
        tenant=tenant,
        items=[{"email": "anna@example.com", "name": "Анна", "company": "Зерно"}],
        source="api",
    )
    lead_id = outcome.results[0].lead_id
    created = _create(operator_api, tenant, lead_id=lead_id)
    assert created["lead_id"] == lead_id
    assert re.fullmatch(r"for-[a-z0-9]{16}", created["slug"])
    detail = operator_api.get(_url(tenant, created["id"])).json()
    assert detail["content"]["headline"].startswith("Анна, ")
    operator_api.post(_url(tenant, created["id"], "publish"), {"published": True}, format="json")

    html = client.get(f"/p/{tenant.slug}/{created['slug']}/").content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert created["slug"] not in client.get("/sitemap.xml").content.decode()


def test_a_lead_of_another_company_is_a_field_error(operator_api, tenant, other_tenant, offline):

    outcome = ingest_leads(tenant=other_tenant, items=[{"email": "x@example.com"}], source="api")
    response = operator_api.post(
        _url(tenant), {**BRIEF, "lead_id": outcome.results[0].lead_id}, format="json"
    )
    assert response.status_code == 400 and "lead_id" in response.json()["error"]["fields"]
