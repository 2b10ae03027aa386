"""Staff access audit (issue 21): every time the staff console shows a tenant's personal data
(a lead, a customer, a member, an invitation, an export) the one audit log gets a row — who,
which object, when — and that tenant's admins (only they, only theirs) see it on the
"Staff access" page."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from apps.leads.models import Customer, Lead, LeadExport
from apps.tenants.audit import AuditAction, staff_access_record
from apps.tenants.models import AuditLogEntry, Membership
from apps.tenants.views import STAFF_ACCESS_PER_PAGE
from tests.factories import InvitationFactory, UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.staff_user = staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def _lead(tenant, n=0) -> Lead:
    return Lead.objects.create(
        tenant=tenant,
        person_key=f"e:p{n}@x.ru",
        identity_key=f"e:p{n}@x.ru",
        email=f"p{n}@x.ru",
        name="Иван Петров",
        source="api",
    )


def _staff_rows(tenant):
    return AuditLogEntry.objects.for_tenant(tenant).filter(
        action__in=[AuditAction.STAFF_VIEWED, AuditAction.STAFF_VIEWED_EXPORT]
    )


def test_staff_opening_a_lead_writes_who_which_and_when_for_its_tenant_only(
    staff_client, tenant, other_tenant
):
    lead = _lead(tenant)
    # when staff open the lead's page in the console
    response = staff_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert response.status_code == 200
    # then one row in the lead's tenant's audit log names the staff member and the lead
    entry = _staff_rows(tenant).get()
    assert entry.actor == staff_client.staff_user
    assert entry.actor_label == staff_client.staff_user.email
    assert (entry.action, entry.target_type, entry.target_id) == (
        AuditAction.STAFF_VIEWED,
        "leads.lead",
        str(lead.pk),
    )
    assert entry.created_at is not None and entry.ip
    assert "p0@x.ru" not in str(entry.after)  # no personal data in the row itself
    assert not _staff_rows(other_tenant).exists()


def test_each_personal_data_page_is_audited_and_an_export_says_so(staff_client, tenant, admin_user):
    customer = Customer.objects.create(tenant=tenant, external_ref="c1", name="ООО Ромашка")
    export = LeadExport.objects.create(tenant=tenant, format="csv")
    membership = Membership.objects.for_tenant(tenant).get(user=admin_user)
    invitation = InvitationFactory(tenant=tenant)
    pages = [
        ("admin:leads_customer_change", customer),
        ("admin:leads_leadexport_change", export),
        ("admin:tenants_membership_change", membership),
        ("admin:tenants_invitation_change", invitation),
    ]
    for name, obj in pages:
        assert staff_client.get(reverse(name, args=[obj.pk])).status_code == 200
    rows = {(e.target_type, e.action) for e in _staff_rows(tenant)}
    assert rows == {
        ("leads.customer", AuditAction.STAFF_VIEWED),
        ("leads.leadexport", AuditAction.STAFF_VIEWED_EXPORT),
        ("tenants.membership", AuditAction.STAFF_VIEWED),
        ("tenants.invitation", AuditAction.STAFF_VIEWED),
    }


def test_a_list_page_logs_the_rows_it_showed_per_tenant(staff_client, tenant, other_tenant):
    # the lead list shows names and addresses: each tenant on the page gets one row
    mine, theirs = _lead(tenant), _lead(other_tenant, n=1)
    assert staff_client.get(reverse("admin:leads_lead_changelist")).status_code == 200
    entry = _staff_rows(tenant).get()
    assert (entry.target_type, entry.target_id) == ("leads.lead", str(mine.pk))
    assert entry.after == {"page": "admin list", "ids": [str(mine.pk)]}
    assert _staff_rows(other_tenant).get().target_id == str(theirs.pk)


def test_pages_without_personal_data_are_not_logged(staff_client, tenant):
    _lead(tenant)
    assert staff_client.get(reverse("admin:index")).status_code == 200
    assert not _staff_rows(tenant).exists()


def _page(tenant):
    return reverse("tenants:staff_access", args=[tenant.slug])


def test_tenant_admins_see_staff_access_to_their_data(
    staff_client, tenant, admin_user, django_assert_max_num_queries, english_ui
):
    lead = _lead(tenant)
    staff_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    staff_client.logout()  # clears the cookies: English again
    staff_client.force_login(admin_user)
    staff_client.cookies["django_language"] = "en"
    with django_assert_max_num_queries(20):
        response = staff_client.get(_page(tenant))
    text = response.content.decode()
    assert response.status_code == 200
    assert staff_client.staff_user.email in text
    assert "Staff viewed personal data" in text and f"#{lead.pk}" in text
    settings_page = staff_client.get(reverse("tenants:settings", args=[tenant.slug]))
    assert _page(tenant) in settings_page.content.decode()


def test_the_page_is_in_russian_by_default(client, tenant, admin_user):
    staff_access_record(request=_staff_request(), obj=_lead(tenant))
    client.force_login(admin_user)
    text = client.get(_page(tenant)).content.decode()
    assert "Доступ сотрудников" in text and "Сотрудник просмотрел персональные данные" in text


def _staff_request():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True)
    return request


def test_operators_may_not_see_the_page(tenant, operator_client_web):
    staff_access_record(request=_staff_request(), obj=_lead(tenant))
    assert operator_client_web.get(_page(tenant)).status_code == 403


def test_another_companys_admin_gets_not_found(tenant, other_tenant, outsider_client_web):
    staff_access_record(request=_staff_request(), obj=_lead(tenant))
    assert outsider_client_web.get(_page(tenant)).status_code == 404


def test_another_tenants_entries_never_show(client, tenant, other_tenant, outsider):
    staff_access_record(request=_staff_request(), obj=_lead(tenant, 1))
    Membership.objects.unscoped().filter(user=outsider).update(role="admin")
    client.force_login(outsider)
    text = client.get(_page(other_tenant)).content.decode()
    assert "#" + str(Lead.objects.for_tenant(tenant).get().pk) not in text
    assert "data-staff-access" not in text  # the empty state


def test_the_log_is_paginated(client, tenant, admin_user):
    request = _staff_request()
    lead = _lead(tenant)
    for _ in range(STAFF_ACCESS_PER_PAGE + 1):
        staff_access_record(request=request, obj=lead)
    client.force_login(admin_user)
    first = client.get(_page(tenant)).content.decode()
    second = client.get(_page(tenant) + "?page=2").content.decode()
    assert first.count(f"#{lead.pk}") == STAFF_ACCESS_PER_PAGE
    assert second.count(f"#{lead.pk}") == 1


def test_a_non_staff_request_records_nothing(tenant, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    assert staff_access_record(request=request, obj=_lead(tenant)) is None
