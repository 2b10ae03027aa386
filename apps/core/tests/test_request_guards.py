"""NUL characters are refused with a 400 naming the field, never a 500 from the database."""

import pytest

from apps.leads.tests.conftest import url

pytestmark = pytest.mark.django_db


def test_a_search_with_nul_answers_400_naming_the_parameter(analyst_api, tenant):
    response = analyst_api.get(url("api-leads", tenant) + "?q=x%00y&status=new")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"q"}


def test_a_dashboard_search_with_nul_shows_an_error_page(analyst_client_web, tenant):
    response = analyst_client_web.get(f"/t/{tenant.slug}/leads/?q=x%00y")

    assert response.status_code == 400


def test_a_form_post_with_nul_answers_400(admin_client_web, tenant):
    response = admin_client_web.post(f"/t/{tenant.slug}/settings/", {"name": "Acme\x00Evil"})

    assert response.status_code == 400
    tenant.refresh_from_db()
    assert tenant.name == "Acme"


def test_parameters_without_nul_pass(analyst_api, tenant):
    assert analyst_api.get(url("api-leads", tenant) + "?q=xy").status_code == 200
