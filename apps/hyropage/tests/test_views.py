"""The dashboard flow through the test client: brief -> generated draft (offline and Gemini)
-> edit the headline -> versions and restore -> publish -> public page with SEO tags and the
widget -> a submission becomes a lead with source "hyropage" counted on the page; roles, the
tool, other companies."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, TestCase

from apps.billing.tests.helpers import subscribe
from apps.hyropage.forms import ContentForm
from apps.hyropage.models import Generation, GenerationStatus, HyroPage, PageStatus
from apps.hyropage.selectors import page_list
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_pro(on_pro):
    """Pro includes HyroPage."""


BRIEF = {
    "product": "Ремонт ванных комнат под ключ",
    "audience": "владельцы квартир в Казани",
    "tone": "friendly",
    "language": "ru",
    "booking_url": "",
    "details": "Гарантия 3 года по договору.",
    "slug": "remont",
}


def _url(tenant, *rest):
    return "/".join([f"/t/{tenant.slug}/pages", *map(str, rest)]) + "/"


def _create(client, tenant, **brief):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_url(tenant, "new"), {**BRIEF, **brief})
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(tenant):
        return HyroPage.objects.order_by("-pk").first()


def _edit_data(page, **changes) -> dict:
    data = {k: v for k, v in ContentForm.initial_from(page.content, page.version).items()}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    return {**data, **changes}


def _submit_widget(client, page_html: str, origin="http://testserver"):
    key = re.search(r'data-key="([^"]+)"', page_html).group(1)
    token = re.search(r'data-source-token="([^"]+)"', page_html).group(1)
    body = {
        "name": "Анна",
        "phone": "+7 916 123-45-67",
        "consents": {"processing": True},
        "source_token": token,
    }
    return client.post(
        f"/api/public/v1/widget/{key}/leads/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def test_brief_to_published_page_to_lead_offline(admin_client_web, tenant, offline):
    client = admin_client_web
    # given: a brief, no Gemini key (the labelled template generator writes the page)
    page = _create(client, tenant)
    edit = client.get(_url(tenant, page.pk)).content.decode()
    assert "Template, not AI" in edit or "Шаблон, не ИИ" in edit
    assert page.content["headline"] == BRIEF["product"] and page.version == 1

    # when: the headline is edited, then published
    saved = client.post(
        _url(tenant, page.pk, "save"), _edit_data(page, headline="Ванная за 14 дней")
    )
    assert saved.status_code == 302
    page.refresh_from_db()
    assert page.content["headline"] == "Ванная за 14 дней" and page.version == 2
    client.post(_url(tenant, page.pk, "publish"))
    page.refresh_from_db()
    assert page.status == PageStatus.PUBLISHED

    # then: the public page shows it with SEO tags and the widget
    client.logout()
    public = client.get(f"/p/{tenant.slug}/remont/")
    html = public.content.decode()
    assert public.status_code == 200
    assert '<h1 class="hp-headline">Ванная за 14 дней</h1>' in html
    assert f'<link rel="canonical" href="http://127.0.0.1:8000/p/{tenant.slug}/remont/">' in html
    assert '<meta property="og:title"' in html and '<meta name="description"' in html
    assert '<html lang="ru">' in html and "Пример: замените настоящим отзывом" in html

    # and a widget submission on it is a lead with source hyropage, counted on the page
    assert _submit_widget(client, html).status_code == 201
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        assert lead.source == "hyropage"
        assert lead.actions.get().metadata["hyropage_ref"] == str(page.pk)
    [listed] = page_list(tenant)
    assert (listed.views, listed.conversions) == (1, 1)


def test_gemini_generation_names_the_model_on_the_page(
    admin_client_web, tenant, gemini, page_content
):
    gemini.ok(page_content)
    page = _create(admin_client_web, tenant)
    assert page.content["headline"] == page_content["headline"]
    html = admin_client_web.get(_url(tenant, page.pk)).content.decode()
    assert "gemini-2.5-flash" in html
    with tenant_scope(tenant):
        generation = Generation.objects.get()
    assert (generation.status, generation.model_used) == ("done", "gemini-2.5-flash")


def test_a_token_copied_to_another_site_records_a_plain_widget_lead(
    admin_client_web, tenant, offline
):
    page = _create(admin_client_web, tenant)
    admin_client_web.post(_url(tenant, page.pk, "publish"))
    html = admin_client_web.get(f"/p/{tenant.slug}/remont/").content.decode()

    assert _submit_widget(admin_client_web, html, origin="https://example.com").status_code == 201
    with tenant_scope(tenant):
        assert Lead.objects.get().source == "widget"


def test_a_forged_token_records_a_plain_widget_lead(admin_client_web, tenant, offline):
    page = _create(admin_client_web, tenant)
    admin_client_web.post(_url(tenant, page.pk, "publish"))
    html = admin_client_web.get(f"/p/{tenant.slug}/remont/").content.decode()
    forged = re.sub(r'data-source-token="[^"]+"', 'data-source-token="x:y:z"', html)

    assert _submit_widget(admin_client_web, forged).status_code == 201
    with tenant_scope(tenant):
        assert Lead.objects.get().source == "widget"


def test_invalid_edit_answers_400_with_field_errors(admin_client_web, tenant, offline):
    page = _create(admin_client_web, tenant)
    data = _edit_data(page)
    for key in [k for k in data if k.startswith("value_points-")]:
        data[key] = ""

    response = admin_client_web.post(_url(tenant, page.pk, "save"), data)

    assert response.status_code == 400
    assert "Преимущества (3–6): Добавьте не меньше 3." in response.content.decode()
    page.refresh_from_db()
    assert page.version == 1


def test_versions_restore_and_unpublish(admin_client_web, tenant, offline):
    client = admin_client_web
    page = _create(client, tenant)
    client.post(_url(tenant, page.pk, "save"), _edit_data(page, headline="Второй вариант"))
    client.post(_url(tenant, page.pk, "versions", 1, "restore"))
    page.refresh_from_db()
    assert page.version == 3 and page.content["headline"] == BRIEF["product"]

    client.post(_url(tenant, page.pk, "publish"))
    assert client.get(f"/p/{tenant.slug}/remont/").status_code == 200
    client.post(_url(tenant, page.pk, "unpublish"))
    assert client.get(f"/p/{tenant.slug}/remont/").status_code == 404


def test_preview_renders_a_draft_in_a_frame_without_the_widget(admin_client_web, tenant, offline):
    page = _create(admin_client_web, tenant)
    response = admin_client_web.get(_url(tenant, page.pk, "preview"))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "data-source-token" not in response.content.decode()
    assert admin_client_web.get(f"/p/{tenant.slug}/remont/").status_code == 404  # a draft


def test_sitemap_lists_published_pages_only(admin_client_web, tenant, offline):
    page = _create(admin_client_web, tenant)
    assert f"/p/{tenant.slug}/remont/" not in admin_client_web.get("/sitemap.xml").content.decode()
    admin_client_web.post(_url(tenant, page.pk, "publish"))
    sitemap = admin_client_web.get("/sitemap.xml").content.decode()
    assert f"http://127.0.0.1:8000/p/{tenant.slug}/remont/" in sitemap


def test_another_company_gets_404(outsider_client_web, tenant, offline, admin_user):
    own = Client()
    own.force_login(admin_user)
    page = _create(own, tenant)
    assert outsider_client_web.get(_url(tenant, page.pk)).status_code == 404
    assert outsider_client_web.post(_url(tenant, page.pk, "publish")).status_code == 404


def test_analyst_cannot_create(analyst_client_web, tenant, offline):
    response = analyst_client_web.post(_url(tenant, "new"), BRIEF)
    assert response.status_code in (403, 404)
    with tenant_scope(tenant):
        assert not HyroPage.objects.exists()


def test_without_the_tool_the_page_shows_the_lock_and_posts_are_refused(
    admin_client_web, tenant, offline
):
    subscribe(tenant, "start")  # no HyroPage on Start
    index = admin_client_web.get(_url(tenant))
    assert index.status_code == 200 and b'name="product"' not in index.content
    assert admin_client_web.post(_url(tenant, "new"), BRIEF).status_code == 403


def test_the_public_page_opens_for_a_member_of_another_company(
    admin_client_web, outsider, tenant, offline
):
    page = _create(admin_client_web, tenant)
    admin_client_web.post(_url(tenant, page.pk, "publish"))
    other = Client()
    other.force_login(outsider)
    response = other.get(f"/p/{tenant.slug}/remont/")
    assert response.status_code == 200, response.content.decode()[:3000]


def test_the_editor_polls_while_the_model_writes_then_reloads(admin_client_web, tenant, offline):
    # given: a page whose generation is still queued (no commit hook ran)
    response = admin_client_web.post(_url(tenant, "new"), BRIEF)
    with tenant_scope(tenant):
        page = HyroPage.objects.get()
        generation = Generation.objects.get()
    assert generation.status == GenerationStatus.PENDING and response.status_code == 302
    edit = admin_client_web.get(_url(tenant, page.pk)).content.decode()
    assert 'hx-trigger="every 2s"' in edit
    # when it finishes, the poll tells the page to reload
    with tenant_scope(tenant):
        Generation.objects.filter(pk=generation.pk).update(status=GenerationStatus.DONE)
    polled = admin_client_web.get(_url(tenant, page.pk, "status"), HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and polled["HX-Refresh"] == "true"


def test_a_russian_product_gets_a_readable_latin_address(admin_client_web, tenant, offline):
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client_web.post(_url(tenant, "new"), {**BRIEF, "slug": ""})
    with tenant_scope(tenant):
        assert HyroPage.objects.get().slug == "remont-vannykh-komnat-pod-klyuch"


def test_the_allowance_is_explained_on_the_form(admin_client_web, tenant, gemini, settings):
    settings.HYROPAGE_MONTHLY_GENERATIONS = {"pro": 0}
    response = admin_client_web.post(_url(tenant, "new"), BRIEF)
    assert response.status_code == 400
    assert "генераций страниц в месяц" in response.content.decode()
    with tenant_scope(tenant):
        assert not HyroPage.objects.exists()


def test_a_published_page_goes_dark_when_the_tool_leaves_the_plan(
    admin_client_web, tenant, offline
):
    page = _create(admin_client_web, tenant)
    admin_client_web.post(_url(tenant, page.pk, "publish"))
    assert admin_client_web.get(f"/p/{tenant.slug}/remont/").status_code == 200
    subscribe(tenant, "start")
    assert admin_client_web.get(f"/p/{tenant.slug}/remont/").status_code == 404


def test_the_lead_page_offers_a_personal_page(admin_client_web, tenant, offline):
    outcome = ingest_leads(
        tenant=tenant, items=[{"email": "anna@example.com", "name": "Анна"}], source="api"
    )
    lead_id = outcome.results[0].lead_id
    lead_page = admin_client_web.get(f"/t/{tenant.slug}/leads/{lead_id}/").content.decode()
    assert "Персональная страница" in lead_page and f'value="{lead_id}"' in lead_page

    page = _create(admin_client_web, tenant, lead_id=lead_id, slug="")
    assert page.lead_id == lead_id and page.slug.startswith("for-")
    lead_page = admin_client_web.get(f"/t/{tenant.slug}/leads/{lead_id}/").content.decode()
    assert f"/t/{tenant.slug}/pages/{page.pk}/" in lead_page
