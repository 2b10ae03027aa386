"""Release flags: waffle plus a company whitelist, seeded by a data migration."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from waffle.models import Flag

from apps.features.flags import RELEASE_FLAGS, flag_active, flag_whitelist_changed
from apps.features.models import FlagTenant

pytestmark = pytest.mark.django_db


def _request(tenant=None, user=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.tenant = tenant
    return request


def _whitelist(name, tenant):
    FlagTenant.objects.create(flag=Flag.objects.get(name=name), tenant=tenant)
    flag_whitelist_changed(name)


def test_the_three_release_flags_exist_and_only_new_billing_is_rolled_out():
    assert set(RELEASE_FLAGS) <= set(Flag.objects.values_list("name", flat=True))
    assert not flag_active(_request(), "dashboard_beta")
    assert not flag_active(_request(), "onboarding_wizard")
    assert flag_active(_request(), "new_billing")


def test_dashboard_beta_is_on_for_whitelisted_tenants_only(tenant, other_tenant):
    _whitelist("dashboard_beta", tenant)
    assert flag_active(_request(tenant), "dashboard_beta")
    assert not flag_active(_request(other_tenant), "dashboard_beta")
    assert not flag_active(_request(None), "dashboard_beta")


def test_everyone_off_beats_the_whitelist_and_everyone_on_opens_it(
    tenant, other_tenant, django_capture_on_commit_callbacks
):
    _whitelist("dashboard_beta", tenant)
    flag = Flag.objects.get(name="dashboard_beta")
    flag.everyone = False
    with django_capture_on_commit_callbacks(execute=True):
        flag.save()  # waffle flushes its cache after commit
    assert not flag_active(_request(tenant), "dashboard_beta")
    flag.everyone = True
    with django_capture_on_commit_callbacks(execute=True):
        flag.save()
    assert flag_active(_request(other_tenant), "dashboard_beta")


def test_template_tag_reads_the_flag_for_the_request_tenant(tenant, other_tenant):
    _whitelist("dashboard_beta", tenant)
    template = Template(
        '{% load release_flags %}{% release_flag "dashboard_beta" as on %}{{ on|yesno:"on,off" }}'
    )
    assert template.render(Context({"request": _request(tenant)})) == "on"
    assert template.render(Context({"request": _request(other_tenant)})) == "off"


def test_staff_edit_the_whitelist_in_the_admin(admin_client_staff, tenant):
    flag = Flag.objects.get(name="dashboard_beta")
    url = f"/admin/waffle/flag/{flag.pk}/change/"
    page = admin_client_staff.get(url)
    assert page.status_code == 200 and "tenant_whitelist" in page.content.decode()
    data = {
        "name": flag.name,
        "everyone": "unknown",
        "note": flag.note,
        "tenant_whitelist-TOTAL_FORMS": "1",
        "tenant_whitelist-INITIAL_FORMS": "0",
        "tenant_whitelist-0-tenant": str(tenant.pk),
        "created_0": flag.created.strftime("%d.%m.%Y"),
        "created_1": flag.created.strftime("%H:%M:%S"),
        "modified_0": flag.modified.strftime("%d.%m.%Y"),
        "modified_1": flag.modified.strftime("%H:%M:%S"),
    }
    response = admin_client_staff.post(url, data)
    errors = response.context and response.context.get("errors")
    assert response.status_code == 302, errors
    assert flag_active(_request(tenant), "dashboard_beta")
