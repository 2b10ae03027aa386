"""Dashboard pages: the queue, a case (edit, approve, reject), settings, catalogue, the
webhook secret shown once; roles and another tenant's 404; the phone layout renders."""

import pytest

from apps.tenants.scoping import tenant_scope
from apps.upsell.models import CaseStatus, CatalogueItem, UpsellCase, UpsellSettings
from apps.upsell.tests.helpers import make_case

pytestmark = pytest.mark.django_db


def _url(tenant, *rest):
    return "/".join([f"/t/{tenant.slug}/upsell", *map(str, rest)]) + "/"


def test_the_queue_lists_cases_with_their_outreach(admin_client_web, tenant):
    case = make_case(tenant)
    response = admin_client_web.get(_url(tenant))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="case-{case.pk}"' in html and "Lead limit" in html


def test_an_admin_approves_with_an_edited_email(
    admin_client_web, tenant, admin_user, django_capture_on_commit_callbacks
):
    case = make_case(tenant)
    page = admin_client_web.get(_url(tenant, case.pk))
    assert "We hit the lead limit" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_web.post(
            _url(tenant, case.pk, "decide"),
            {
                "decision": "approve",
                "email_subject": "Business",
                "email_body": "Edited in the dashboard",
                "call_script": "Script",
            },
        )
    assert response.status_code == 302
    with tenant_scope(tenant):
        case.refresh_from_db()
    assert case.email_body == "Edited in the dashboard"
    assert case.decided_by == admin_user and case.decided_via == "dashboard"
    assert case.status not in (CaseStatus.AWAITING_APPROVAL, CaseStatus.APPROVED)


def test_reject_without_a_reason_is_400_with_the_field(admin_client_web, tenant):
    case = make_case(tenant)
    response = admin_client_web.post(
        _url(tenant, case.pk, "decide"), {"decision": "reject", "reason": ""}
    )
    assert response.status_code == 400
    with tenant_scope(tenant):
        assert UpsellCase.objects.get().status == CaseStatus.AWAITING_APPROVAL


def test_an_operator_sees_the_case_but_cannot_decide(operator_client_web, tenant):
    case = make_case(tenant)
    page = operator_client_web.get(_url(tenant, case.pk))
    assert page.status_code == 200 and "decision" not in page.content.decode()
    response = operator_client_web.post(
        _url(tenant, case.pk, "decide"), {"decision": "reject", "reason": "x"}
    )
    assert response.status_code == 403


def test_another_tenants_case_is_404(outsider_client_web, tenant, other_tenant):
    case = make_case(tenant)
    assert outsider_client_web.get(_url(tenant, case.pk)).status_code == 404
    assert outsider_client_web.get(_url(other_tenant, case.pk)).status_code == 404


def test_settings_catalogue_and_the_secret_shown_once(admin_client_web, tenant):
    admin_client_web.post(
        _url(tenant, "settings"), {"threshold": "0.8", "auto_approve_threshold": "0.95"}
    )
    admin_client_web.post(_url(tenant, "catalogue"), {"product": "Fast Lead", "tier": "Business"})
    admin_client_web.post(_url(tenant, "secret"))
    first = admin_client_web.get(_url(tenant)).content.decode()
    second = admin_client_web.get(_url(tenant)).content.decode()
    with tenant_scope(tenant):
        row = UpsellSettings.objects.get()
        assert CatalogueItem.objects.get().tier == "Business"
    assert str(row.threshold) == "0.80" and str(row.auto_approve_threshold) == "0.95"
    assert 'id="upsell-secret"' in first and row.webhook_secret in first
    assert row.webhook_secret not in second and f"/webhooks/helpdesk/{row.webhook_token}/" in second


def test_a_threshold_above_one_is_refused(admin_client_web, tenant):
    admin_client_web.post(_url(tenant, "settings"), {"threshold": "1.5"})
    with tenant_scope(tenant):
        assert not UpsellSettings.objects.filter(threshold=1.5).exists()
