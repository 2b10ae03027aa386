import pytest
from django.http import Http404

from apps.tenants.models import Membership
from apps.tenants.scoping import TenantScopeMissing, tenant_scope, unscoped_scope
from apps.tenants.selectors import membership_resolve

pytestmark = pytest.mark.django_db


def test_query_outside_a_scope_fails_loudly(tenant, admin_user):
    with pytest.raises(TenantScopeMissing):
        list(Membership.objects.all())


def test_scope_shows_only_that_tenants_rows(tenant, other_tenant, admin_user, outsider):
    with tenant_scope(tenant):
        assert list(Membership.objects.values_list("user_id", flat=True)) == [admin_user.pk]
    with tenant_scope(other_tenant):
        assert list(Membership.objects.values_list("user_id", flat=True)) == [outsider.pk]


def test_unscoped_reads_say_so_by_name(tenant, admin_user, outsider):
    assert Membership.objects.unscoped().count() == 2
    with unscoped_scope():
        assert Membership.objects.count() == 2


def test_scope_is_restored_after_the_block(tenant, other_tenant, admin_user):
    with tenant_scope(tenant), tenant_scope(other_tenant):
        assert not Membership.objects.exists()
    with pytest.raises(TenantScopeMissing):
        Membership.objects.exists()


def test_membership_resolve_hides_foreign_and_unknown_tenants(tenant, other_tenant, admin_user):
    assert membership_resolve(admin_user, tenant.slug).tenant == tenant
    assert membership_resolve(admin_user, str(tenant.id)).tenant == tenant
    for ref in (other_tenant.slug, str(other_tenant.id), "missing"):
        with pytest.raises(Http404):
            membership_resolve(admin_user, ref)
