"""The staff console: the queue across tenants with its filters, a case's page with the
ticket and evidence, approve with an edited e-mail, reject with a reason, bulk approve."""

import pytest
from django.urls import reverse

from apps.tenants.scoping import tenant_scope
from apps.upsell.models import CaseStatus, UpsellCase
from apps.upsell.tests.helpers import make_case
from tests.factories import UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:upsell_upsellcase_changelist"


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True, email="staff@fastlead.test")
    staff_login(client, user)
    client.user = user
    return client


def _change(case):
    return reverse("admin:upsell_upsellcase_change", args=[case.pk])


def test_the_queue_opens_on_cases_awaiting_approval_across_tenants(staff, tenant, other_tenant):
    mine, theirs = make_case(tenant), make_case(other_tenant, ref="O-1")
    with tenant_scope(tenant):
        UpsellCase.objects.filter(pk=mine.pk).update(status=CaseStatus.REJECTED)
    html = staff.get(reverse(CHANGELIST)).content.decode()
    assert f"/{theirs.pk}/change/" in html and f"/{mine.pk}/change/" not in html
    for query in (
        {"score": "0.9"},
        {"product": "Fast Lead"},
        {"age": "1"},
        {"tenant__id__exact": str(tenant.pk)},
    ):
        assert staff.get(reverse(CHANGELIST), query).status_code == 200


def test_staff_approve_a_case_with_an_edited_email(
    staff, tenant, django_capture_on_commit_callbacks
):
    case = make_case(tenant)
    page = staff.get(_change(case)).content.decode()
    assert (
        "We hit the lead limit" in page and "Hits the limit." in page and "upsell-approve" in page
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            _change(case),
            {
                "email_subject": "Staff subject",
                "email_body": "Edited by staff",
                "call_script": "Script",
                "reject_reason": "",
                "_approve": "1",
            },
        )
    assert response.status_code == 302
    with tenant_scope(tenant):
        case.refresh_from_db()
        row = case.history.get(to_status="approved")
    assert case.email_body == "Edited by staff" and case.decided_via == "admin"
    assert case.decided_by == staff.user and row.actor_label == "staff: staff@fastlead.test"


def test_staff_reject_needs_a_reason(staff, tenant):
    case = make_case(tenant)
    form = {"email_subject": "s", "email_body": "b", "call_script": "", "_reject": "1"}
    staff.post(_change(case), {**form, "reject_reason": ""})
    with tenant_scope(tenant):
        assert UpsellCase.objects.get().status == CaseStatus.AWAITING_APPROVAL
    staff.post(_change(case), {**form, "reject_reason": "Not now"})
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
    assert case.status == CaseStatus.REJECTED and case.reject_reason == "Not now"


def test_bulk_approve(staff, tenant, other_tenant, django_capture_on_commit_callbacks):
    cases = [make_case(tenant), make_case(other_tenant, ref="O-1")]
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse(CHANGELIST),
            {"action": "approve_selected", "_selected_action": [c.pk for c in cases]},
        )
    statuses = set(UpsellCase.objects.unscoped().values_list("decided_via", flat=True))
    assert statuses == {"admin"}


def test_staff_mark_a_done_case_won_and_its_lead_won(staff, tenant):
    case = make_case(tenant)
    with tenant_scope(tenant):
        UpsellCase.objects.filter(pk=case.pk).update(status=CaseStatus.DONE)
    staff.post(
        reverse(CHANGELIST) + "?status__exact=done",
        {"action": "mark_won", "_selected_action": [case.pk]},
    )
    with tenant_scope(tenant):
        case.refresh_from_db()
        assert case.status == CaseStatus.WON and case.lead.status == "won"
