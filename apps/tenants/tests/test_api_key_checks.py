"""An API key acts on its own tenant; apps above tenants add conditions through
`register_api_key_check` (features: the API access tool)."""

import pytest
from django.http import Http404

from apps.core.errors import ApplicationError
from apps.features.tenant_hooks import api_access_check
from apps.tenants import api_key_auth, keys
from apps.tenants.roles import Role
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(tenant, admin_user):
    row, _secret = keys.api_key_create(tenant=tenant, actor=admin_user, name="CRM")
    return row


@pytest.fixture
def no_checks(monkeypatch):
    monkeypatch.setattr(api_key_auth, "_checks", [])
    return api_key_auth._checks


def test_features_registered_the_api_access_check():
    assert api_access_check in api_key_auth._checks


def test_without_checks_a_key_acts_on_its_own_tenant_with_its_role(no_checks, key, tenant):
    membership = api_key_auth.api_key_membership(key, tenant.slug)
    assert (membership.tenant, membership.role) == (tenant, key.role)
    assert membership.pk is None
    with pytest.raises(Http404):
        api_key_auth.api_key_membership(key, TenantFactory().pk)


def test_a_registered_check_refuses_once_however_often_it_was_registered(no_checks, key, tenant):
    seen = []

    def refuse(checked):
        seen.append(checked)
        raise ApplicationError("no", code="refused")

    api_key_auth.register_api_key_check(refuse)
    api_key_auth.register_api_key_check(refuse)
    with pytest.raises(ApplicationError):
        api_key_auth.api_key_membership(key, str(tenant.pk))
    assert seen == [tenant]
    assert key.role in Role.values
