"""Landing, home redirect, overview, language switching, error pages."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path, reverse

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.core.errors import Conflict
from apps.leads.ingestion import ingest_leads
from apps.tenants.dashboard import LAST_TENANT_SESSION_KEY
from apps.tenants.roles import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory


def overview_url(tenant):
    return reverse("web:overview", kwargs={"tenant_slug": tenant.slug})


# --- Home ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_site_root_sends_signed_in_users_to_the_dashboard_entry(client):
    client.force_login(UserFactory())

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")


@pytest.mark.django_db
def test_the_dashboard_entry_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("web:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_home_sends_a_user_without_companies_to_create_one(client):
    client.force_login(UserFactory())

    response = client.get(reverse("web:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("tenants:create")


@pytest.mark.django_db
def test_home_remembers_the_last_used_company(client):
    user = UserFactory()
    first = MembershipFactory(user=user, tenant=TenantFactory(name="A first")).tenant
    second = MembershipFactory(user=user, tenant=TenantFactory(name="B second")).tenant
    client.force_login(user)

    assert client.get(reverse("web:home"))["Location"] == overview_url(first)
    client.get(overview_url(second))
    assert client.session[LAST_TENANT_SESSION_KEY] == second.slug
    assert client.get(reverse("web:home"))["Location"] == overview_url(second)


@pytest.mark.django_db
def test_home_forgets_a_company_the_user_left(client):
    user = UserFactory()
    kept = MembershipFactory(user=user, tenant=TenantFactory(name="Kept")).tenant
    client.force_login(user)
    session = client.session
    session[LAST_TENANT_SESSION_KEY] = "gone-company"
    session.save()

    assert client.get(reverse("web:home"))["Location"] == overview_url(kept)


@pytest.mark.django_db
def test_home_resumes_a_pending_invitation(client):
    client.force_login(UserFactory())
    session = client.session
    session[PENDING_INVITATION_SESSION_KEY] = "token"
    session.save()

    assert client.get(reverse("web:home"))["Location"] == reverse("tenants:invitation_resume")


# --- Overview -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_fixture", ["admin_client_web", "operator_client_web", "analyst_client_web"]
)
def test_overview_renders_for_every_role(request, client_fixture, tenant):
    client = request.getfixturevalue(client_fixture)

    response = client.get(overview_url(tenant))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Лиды" in body
    assert "Конверсия" in body
    assert "Виджет" in body
    assert "Появятся, когда" in body or "Появится, когда" in body
    assert "Пригласите коллегу" in body
    assert "Acme" in body


@pytest.mark.django_db
def test_overview_counts_the_leads_and_links_the_widget_page_that_exist(
    admin_client_web, tenant, other_tenant
):
    ingest_leads(tenant=tenant, items=[{"email": "ivan@example.ru"}], source="api")
    ingest_leads(tenant=other_tenant, items=[{"email": "olga@example.ru"}], source="api")

    body = admin_client_web.get(overview_url(tenant)).content.decode()

    leads = body[body.index("data-overview-leads") :]
    assert '<p class="stat-value">1</p>' in leads
    assert reverse("leads:widget", args=[tenant.slug]) in body


def test_overview_checklist_tracks_progress(admin_client_web, tenant):
    tenant.allowed_origins = []
    tenant.save()

    before = admin_client_web.get(overview_url(tenant)).context
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    tenant.allowed_origins = ["https://acme.ru"]
    tenant.save()
    after = admin_client_web.get(overview_url(tenant)).context

    assert (before["steps_done"], after["steps_done"]) == (1, 3)


def test_overview_of_another_tenant_is_not_found(outsider_client_web, tenant):
    response = outsider_client_web.get(overview_url(tenant))

    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


def test_overview_needs_login(client, tenant):
    response = client.get(overview_url(tenant))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_layout_has_switcher_language_profile_and_logout(admin_client_web, tenant, admin_user):
    second = MembershipFactory(user=admin_user, tenant=TenantFactory(name="Zeta")).tenant

    body = admin_client_web.get(overview_url(tenant)).content.decode()

    assert overview_url(second) in body
    assert reverse("tenants:team", args=[tenant.slug]) in body
    assert reverse("tenants:settings", args=[tenant.slug]) in body
    assert reverse("accounts:profile") in body
    assert reverse("account_logout") in body
    assert reverse("web:set_language") in body
    assert 'data-action="toggle-sidebar"' in body


def test_pages_have_no_inline_scripts_or_styles(admin_client_web, tenant):
    for url in [overview_url(tenant), reverse("tenants:team", args=[tenant.slug]), "/"]:
        body = admin_client_web.get(url, follow=True).content.decode()
        assert "style=" not in body, url
        assert "<style" not in body, url
        assert "<script>" not in body, url
        assert " on" + "click=" not in body, url


# --- Language -----------------------------------------------------------------------------


def test_language_switch_saves_the_choice_and_renders_english(admin_client_web, tenant, admin_user):
    assert "Обзор" in admin_client_web.get(overview_url(tenant)).content.decode()

    response = admin_client_web.post(
        reverse("web:set_language"), {"language": "en", "next": overview_url(tenant)}
    )

    admin_user.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == overview_url(tenant)
    assert admin_user.language == "en"
    body = admin_client_web.get(overview_url(tenant)).content.decode()
    assert '<html lang="en"' in body
    assert "Overview" in body
    assert "Getting started" in body


def test_saved_language_follows_the_user_to_a_new_browser(tenant, admin_user):
    admin_user.language = "en"
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)

    body = browser.get(overview_url(tenant)).content.decode()

    assert '<html lang="en"' in body


@pytest.mark.django_db
def test_anonymous_language_switch_only_sets_the_cookie(client):
    response = client.post(reverse("web:set_language"), {"language": "en", "next": "/"})

    assert response.cookies["django_language"].value == "en"
    assert "Every lead from your site in one list" in client.get("/").content.decode()


@pytest.mark.django_db
def test_language_switch_ignores_unknown_languages(client):
    user = UserFactory(language="ru")
    client.force_login(user)

    client.post(reverse("web:set_language"), {"language": "de", "next": "/"})

    user.refresh_from_db()
    assert user.language == "ru"


# --- Errors -------------------------------------------------------------------------------


def _raise_conflict(request):
    raise Conflict("Something specific went wrong.", code="oops")


urlpatterns = [path("boom/", _raise_conflict), path("", include("fastlead.urls"))]


@pytest.mark.urls("apps.web.tests.test_views")
def test_application_error_in_a_view_becomes_a_page_not_a_500(admin_client_web):
    page = admin_client_web.get("/boom/")
    partial = admin_client_web.get("/boom/", HTTP_HX_REQUEST="true")

    assert page.status_code == 409
    assert "Something specific went wrong." in page.content.decode()
    assert partial.status_code == 409
    assert partial.content.decode() == "Something specific went wrong."


@pytest.mark.django_db
def test_404_page_in_our_layout_for_anonymous_visitors(client):
    response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "Страница не найдена" in body
    assert "css/app.css" in body


def test_500_page_renders_without_a_request():
    html = render_to_string("500.html")

    assert "500" in html
    assert "css/app.css" in html


@pytest.mark.django_db
def test_csrf_failure_page_is_ours():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("web:set_language"), {"language": "en"})

    assert response.status_code == 403
    assert "Страница устарела" in response.content.decode()
