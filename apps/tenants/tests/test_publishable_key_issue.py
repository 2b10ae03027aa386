"""The widget key exists before anyone reads it: `tenant_create` issues it, and a data
migration issued it to the companies created before (which got theirs on a first read)."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from apps.tenants import keys, services
from apps.tenants.models import PublishableKey
from tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "0014_publishable_key_for_every_tenant"
migration = importlib.import_module(f"apps.tenants.migrations.{NAME}")


def historical_apps():
    """The models as the migration sees them (plain managers, not the scoped ones)."""
    return MigrationLoader(connection).project_state(("tenants", NAME)).apps


def live(tenant) -> list[str]:
    rows = PublishableKey.objects.for_tenant(tenant).filter(revoked_at__isnull=True)
    return list(rows.values_list("key", flat=True))


def test_a_new_company_has_its_widget_key():
    tenant = services.tenant_create(user=UserFactory(), name="Ромашка")
    [key] = live(tenant)
    assert key.startswith(keys.PUBLISHABLE_PREFIX)
    assert keys.widget_tenant_resolve(key).tenant_id == str(tenant.pk)


def test_the_migration_issues_a_key_to_each_company_without_a_live_one():
    # given: one company never had a key, one had its key revoked, one has a live key
    never = TenantFactory(publishable_key=False)
    revoked = TenantFactory()
    PublishableKey.objects.for_tenant(revoked).update(revoked_at=timezone.now())
    keeps = TenantFactory()
    [kept] = live(keeps)
    # when (twice: a second run finds nothing to do)
    models = historical_apps()
    migration.forwards(models, None)
    migration.forwards(models, None)
    # then
    for tenant in (never, revoked):
        [key] = live(tenant)
        assert key.startswith(keys.PUBLISHABLE_PREFIX) and 8 < len(key) <= 64
    assert live(keeps) == [kept]
    assert PublishableKey.objects.for_tenant(revoked).count() == 2  # the revoked one stays
