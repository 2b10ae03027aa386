"""Mark won outside admin: the dashboard's case page and POST …/upsell/cases/{id}/won/. The
transition table decides (done or failed only: else 409, or a message on the page), the
approver's role is needed, the amount is kept in minor units with its currency, and another
company sees nothing."""

import pytest
import yaml
from django.contrib.messages import ERROR
from django.core.management import call_command

from apps.core.errors import ValidationFailed
from apps.features.services import tenant_feature_set
from apps.leads.models import Lead
from apps.tenants.scoping import tenant_scope
from apps.upsell.models import CaseStatus, UpsellCase
from apps.upsell.services.won import case_mark_won
from apps.upsell.tests.helpers import make_case, make_finished_case
from apps.upsell.transitions import IllegalTransition

pytestmark = pytest.mark.django_db


def _page(tenant, case, *rest):
    return "/".join([f"/t/{tenant.slug}/upsell/{case.pk}", *rest]) + "/"


def _api(tenant, case):
    return f"/api/v1/tenants/{tenant.pk}/upsell/cases/{case.pk}/won/"


def _reload(tenant, case) -> UpsellCase:
    with tenant_scope(tenant):
        return UpsellCase.objects.select_related("lead").get(pk=case.pk)


# --- service -------------------------------------------------------------------------------


def test_a_won_case_keeps_the_amount_and_who_won_it(tenant, admin_user):
    case = make_finished_case(tenant)
    with tenant_scope(tenant):
        case_mark_won(case, actor=admin_user, via="dashboard", amount=1999050, currency="rub")
        row = case.history.get(to_status=CaseStatus.WON)
        assert Lead.objects.get(pk=case.lead_id).status == "won"
    case = _reload(tenant, case)
    assert (case.status, case.won_amount, case.won_currency) == ("won", 1999050, "RUB")
    assert row.from_status == "done" and row.actor_label.startswith("tenant admin: ")
    assert row.reason == "19990.50 RUB" and row.actor == admin_user


def test_only_a_finished_case_can_be_won(tenant, admin_user):
    case = make_case(tenant)
    with tenant_scope(tenant), pytest.raises(IllegalTransition) as caught:
        case_mark_won(case, actor=admin_user, via="dashboard")
    assert caught.value.status_code == 409
    assert _reload(tenant, case).status == CaseStatus.AWAITING_APPROVAL


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [(None, "RUB", "amount"), (0, "RUB", "amount"), (100, "", "currency"), (100, "RU", "currency")],
)
def test_a_bad_amount_or_currency_is_refused_by_field(tenant, admin_user, amount, currency, field):
    case = make_finished_case(tenant)
    with tenant_scope(tenant), pytest.raises(ValidationFailed) as caught:
        case_mark_won(case, actor=admin_user, amount=amount, currency=currency)
    assert field in caught.value.fields
    assert _reload(tenant, case).status == CaseStatus.DONE


# --- dashboard -----------------------------------------------------------------------------


def test_an_admin_marks_a_finished_case_won_from_the_queue_and_the_case_page(
    admin_client_web, tenant
):
    case = make_finished_case(tenant)
    queue = admin_client_web.get(f"/t/{tenant.slug}/upsell/").content.decode()
    assert f"/upsell/{case.pk}/#won" in queue
    page = admin_client_web.get(_page(tenant, case)).content.decode()
    assert 'id="won"' in page and _page(tenant, case, "won") in page
    response = admin_client_web.post(
        _page(tenant, case, "won"), {"amount": "19990.50", "currency": "RUB"}
    )
    assert response.status_code == 302
    case = _reload(tenant, case)
    assert (case.status, case.won_amount, case.won_currency) == ("won", 1999050, "RUB")
    assert case.lead.status == "won"
    html = admin_client_web.get(_page(tenant, case)).content.decode()
    assert 'id="case-won"' in html and case.won_display in html
    assert _page(tenant, case, "won") not in html


def test_won_without_an_amount_is_allowed(admin_client_web, tenant):
    case = make_finished_case(tenant)
    admin_client_web.post(_page(tenant, case, "won"), {"amount": "", "currency": "RUB"})
    case = _reload(tenant, case)
    assert case.status == CaseStatus.WON and case.won_amount is None and not case.won_currency


def test_more_decimals_than_the_currency_has_is_400_and_nothing_changes(admin_client_web, tenant):
    case = make_finished_case(tenant)
    response = admin_client_web.post(
        _page(tenant, case, "won"), {"amount": "10.505", "currency": "RUB"}
    )
    assert response.status_code == 400
    assert "amount" in response.context["won_form"].errors
    assert _reload(tenant, case).status == CaseStatus.DONE


def test_a_case_awaiting_approval_cannot_be_won_and_the_page_says_why(admin_client_web, tenant):
    case = make_case(tenant)
    page = admin_client_web.get(_page(tenant, case)).content.decode()
    assert _page(tenant, case, "won") not in page
    response = admin_client_web.post(
        _page(tenant, case, "won"), {"amount": "100", "currency": "RUB"}, follow=True
    )
    shown = list(response.context["messages"])
    assert response.status_code == 200 and [m.level for m in shown] == [ERROR]
    assert shown[0].message in response.content.decode()
    assert _reload(tenant, case).status == CaseStatus.AWAITING_APPROVAL


def test_an_operator_cannot_mark_won(operator_client_web, tenant):
    case = make_finished_case(tenant)
    page = operator_client_web.get(_page(tenant, case)).content.decode()
    assert _page(tenant, case, "won") not in page
    assert operator_client_web.post(_page(tenant, case, "won"), {}).status_code == 403
    assert _reload(tenant, case).status == CaseStatus.DONE


def test_another_company_cannot_mark_won(outsider_client_web, tenant, other_tenant):
    case = make_finished_case(tenant)
    assert outsider_client_web.post(_page(tenant, case, "won"), {}).status_code == 404
    assert outsider_client_web.post(_page(other_tenant, case, "won"), {}).status_code == 404
    assert _reload(tenant, case).status == CaseStatus.DONE


# --- API -----------------------------------------------------------------------------------


def test_the_api_marks_won_with_the_amount_in_minor_units(admin_api, tenant):
    case = make_finished_case(tenant)
    response = admin_api.post(_api(tenant, case), {"amount": 1999000, "currency": "RUB"}, "json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["won_amount"], body["won_currency"]) == ("won", 1999000, "RUB")
    listed = admin_api.get(f"/api/v1/tenants/{tenant.pk}/upsell/cases/").json()
    assert listed[0]["won_amount"] == 1999000 and listed[0]["draft_source"] == "template"
    assert _reload(tenant, case).lead.status == "won"


def test_the_api_answers_409_for_a_case_that_cannot_be_won(admin_api, tenant):
    case = make_case(tenant)
    response = admin_api.post(_api(tenant, case), {}, "json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert _reload(tenant, case).status == CaseStatus.AWAITING_APPROVAL


@pytest.mark.parametrize(
    ("body", "field"),
    [({"amount": 100}, "currency"), ({"amount": 1.5, "currency": "RUB"}, "amount"),
     ({"currency": "rub"}, "currency"), ({"note": "x"}, "note")],
)  # fmt: skip
def test_bad_won_input_is_400_naming_the_field(admin_api, tenant, body, field):
    case = make_finished_case(tenant)
    response = admin_api.post(_api(tenant, case), body, "json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert _reload(tenant, case).status == CaseStatus.DONE


def test_the_api_needs_the_admin_role(operator_api, analyst_api, tenant):
    case = make_finished_case(tenant)
    assert operator_api.post(_api(tenant, case), {}, "json").status_code == 403
    assert analyst_api.post(_api(tenant, case), {}, "json").status_code == 403
    assert _reload(tenant, case).status == CaseStatus.DONE


def test_another_companys_case_is_404_in_the_api(outsider_api, tenant, other_tenant):
    case = make_finished_case(tenant)
    assert outsider_api.post(_api(tenant, case), {}, "json").status_code == 404
    assert outsider_api.post(_api(other_tenant, case), {}, "json").status_code == 404
    assert _reload(tenant, case).status == CaseStatus.DONE


def test_the_locked_tool_is_403_in_the_api(admin_api, tenant):
    case = make_finished_case(tenant)
    tenant_feature_set(tenant=tenant, feature="upsell", mode="revoke", reason="test")
    response = admin_api.post(_api(tenant, case), {}, "json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "feature_locked"


def test_the_won_action_is_in_the_openapi_schema(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    operation = yaml.safe_load(path.read_text())["paths"][
        "/api/v1/tenants/{tenant_id}/upsell/cases/{case_id}/won/"
    ]["post"]
    assert operation["operationId"] == "markUpsellCaseWon"
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
