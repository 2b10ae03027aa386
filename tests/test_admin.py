"""The staff console lists every model, across tenants, with the tenant visible."""

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.tenants.models import Membership
from tests.factories import InvitationFactory, UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_project_model_has_a_working_changelist(staff_client, tenant, admin_user, outsider):
    InvitationFactory(tenant=tenant)
    ours = [m for m in admin.site._registry if m.__module__.startswith("apps.")]
    assert ours, "project models must be registered in admin"
    for model in ours:
        response = staff_client.get(_changelist(model), {"q": "a"})
        assert response.status_code == 200, model
        assert staff_client.get(_changelist(model)).status_code == 200


def test_membership_changelist_shows_every_tenant(
    staff_client, tenant, admin_user, outsider, other_tenant
):
    response = staff_client.get(_changelist(Membership))
    content = response.content.decode()
    assert tenant.name in content and other_tenant.name in content


def test_staff_can_edit_a_membership_role(staff_client, tenant, operator_user, admin_user):
    membership = Membership.objects.for_tenant(tenant).get(user=operator_user)
    url = reverse("admin:tenants_membership_change", args=[membership.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url, {"tenant": tenant.pk, "user": operator_user.pk, "role": "analyst"}
    )
    assert response.status_code == 302
    assert Membership.objects.for_tenant(tenant).get(pk=membership.pk).role == "analyst"


def test_non_staff_users_are_kept_out(client, admin_user):
    client.force_login(admin_user)
    response = client.get(_changelist(Membership))
    assert response.status_code == 302
