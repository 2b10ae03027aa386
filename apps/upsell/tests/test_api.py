"""The API: POST …/tickets/ (idempotent, queued), GET …/upsell/cases/?status= (scoped,
filtered, the outreach status), the locked tool, another tenant's 404."""

import pytest

from apps.features.services import tenant_feature_set
from apps.upsell.tests.conftest import high
from apps.upsell.tests.helpers import make_case

pytestmark = pytest.mark.django_db


def _tickets(tenant):
    return f"/api/v1/tenants/{tenant.pk}/tickets/"


def _cases(tenant):
    return f"/api/v1/tenants/{tenant.pk}/upsell/cases/"


TICKET = {
    "id": "API-1",
    "subject": "Lead limit",
    "body": "We are hitting the 2,000-lead limit every month, what does the next tier cost?",
    "requester": {"name": "Oleg", "email": "oleg@romashka.ru", "marketing_consent": True},
}


def test_posting_a_ticket_queues_it_once(
    operator_api, tenant, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(high())
    with django_capture_on_commit_callbacks(execute=True):
        first = operator_api.post(_tickets(tenant), TICKET, format="json")
    again = operator_api.post(_tickets(tenant), TICKET, format="json")
    assert first.status_code == 202 and first.json()["queued"] is True
    assert again.status_code == 200 and again.json()["queued"] is False
    cases = operator_api.get(_cases(tenant)).json()
    assert len(cases) == 1 and cases[0]["ticket_id"] == "API-1"
    assert cases[0]["status"] == "awaiting_approval" and cases[0]["email_state"] == "pending"


def test_bad_ticket_input_is_400_naming_the_field(operator_api, tenant):
    unknown = operator_api.post(_tickets(tenant), {"id": "x", "extra": 1}, format="json")
    assert unknown.status_code == 400 and "extra" in unknown.json()["error"]["fields"]
    missing = operator_api.post(_tickets(tenant), {"subject": "no id"}, format="json")
    assert missing.status_code == 400 and "id" in missing.json()["error"]["fields"]
    numbers = operator_api.post(_tickets(tenant), {"id": "x", "tags": [0]}, format="json")
    assert numbers.status_code == 400 and "tags" in str(numbers.json()["error"]["fields"])


def test_cases_filter_by_status_and_reject_an_unknown_one(
    analyst_api, tenant, django_assert_max_num_queries
):
    make_case(tenant, ref="A", email="a@x.ru")
    make_case(tenant, ref="B", email="b@x.ru")
    with django_assert_max_num_queries(12):
        waiting = analyst_api.get(_cases(tenant), {"status": "awaiting_approval"}).json()
    assert len(waiting) == 2
    assert analyst_api.get(_cases(tenant), {"status": "done"}).json() == []
    assert analyst_api.get(_cases(tenant), {"status": "nope"}).status_code == 400
    assert analyst_api.get(_cases(tenant), {"status": ""}).status_code == 400


def test_another_tenant_sees_nothing(outsider_api, tenant, other_tenant):
    make_case(tenant)
    assert outsider_api.get(_cases(tenant)).status_code == 404
    assert outsider_api.post(_tickets(tenant), TICKET, format="json").status_code == 404
    assert outsider_api.get(_cases(other_tenant)).json() == []


def test_the_locked_tool_is_403(operator_api, tenant):
    tenant_feature_set(tenant=tenant, feature="upsell", mode="revoke", reason="test")
    response = operator_api.get(_cases(tenant))
    assert response.status_code == 403 and response.json()["error"]["code"] == "feature_locked"
