"""Tool overrides write one audit row per set, removal and expiry (besides their history)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.features import services
from apps.features.models import TenantFeatureHistory
from apps.tenants.models import AuditAction, AuditLogEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _rows(tenant):
    return list(AuditLogEntry.objects.for_tenant(tenant).order_by("pk"))


def test_set_replace_and_remove_write_one_row_each_with_before_and_after(tenant):
    staff = UserFactory(is_staff=True)
    services.tenant_feature_set(
        tenant=tenant, feature="export", mode="grant", reason="pilot", actor=staff
    )
    services.tenant_feature_set(
        tenant=tenant, feature="export", mode="revoke", reason="abuse", actor=staff
    )
    services.tenant_feature_remove(tenant=tenant, feature="export", reason="done", actor=staff)
    first, second, removed = _rows(tenant)
    assert [r.action for r in (first, second, removed)] == [
        AuditAction.FEATURE_OVERRIDE_SET,
        AuditAction.FEATURE_OVERRIDE_SET,
        AuditAction.FEATURE_OVERRIDE_REMOVED,
    ]
    assert first.before is None
    assert first.after == {"mode": "grant", "expires_at": None, "reason": "pilot"}
    assert second.before == first.after
    assert second.after == {"mode": "revoke", "expires_at": None, "reason": "abuse"}
    assert removed.before == second.after and removed.after is None
    assert {(r.target_type, r.target_id, r.actor) for r in (first, second, removed)} == {
        ("features.tenantfeature", "export", staff)
    }
    assert TenantFeatureHistory.objects.for_tenant(tenant).count() == 3  # history kept as is


def test_expiry_writes_one_system_row(tenant, other_tenant):
    ends = timezone.now() + timedelta(days=1)
    services.tenant_feature_set(
        tenant=tenant, feature="export", mode="trial", reason="try", expires_at=ends
    )
    assert services.tenant_features_expire(ends + timedelta(seconds=1)) == 1
    assert services.tenant_features_expire(ends + timedelta(seconds=2)) == 0
    _set_row, expired = _rows(tenant)
    assert (expired.action, expired.actor, expired.actor_label) == (
        AuditAction.FEATURE_OVERRIDE_EXPIRED,
        None,
        "system",
    )
    assert expired.before["mode"] == "trial" and expired.after is None
    assert _rows(other_tenant) == []
