"""Override writes: validation, history (who, when, why), expiry by the beat task."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.core.errors import NotFound, ValidationFailed
from apps.features import services
from apps.features.models import TenantFeature, TenantFeatureHistory
from apps.features.selectors import entitlements_get, override_history
from apps.features.tasks import expire_tenant_features_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_set_records_who_when_why_and_replaces_the_previous_override(tenant):
    staff = UserFactory(is_staff=True)
    services.tenant_feature_set(
        tenant=tenant, feature="export", mode="grant", reason="pilot", actor=staff
    )
    services.tenant_feature_set(
        tenant=tenant, feature="export", mode="revoke", reason="pilot over", actor=staff
    )
    rows = list(TenantFeature.objects.for_tenant(tenant))
    assert [(r.feature, r.mode, r.created_by_id) for r in rows] == [("export", "revoke", staff.pk)]
    history = list(override_history(tenant))
    assert [(h.action, h.mode, h.reason, h.actor_id) for h in history] == [
        ("set", "revoke", "pilot over", staff.pk),
        ("set", "grant", "pilot", staff.pk),
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"feature": "teleport"}, "feature"),
        ({"mode": "maybe"}, "mode"),
        ({"reason": "  "}, "reason"),
        ({"mode": "trial"}, "expires_at"),
        ({"expires_at": "past"}, "expires_at"),
    ],
)
def test_set_rejects_bad_input_and_writes_nothing(tenant, kwargs, field):
    data = {"feature": "export", "mode": "grant", "reason": "why", "expires_at": None, **kwargs}
    if data["expires_at"] == "past":
        data["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as err:
        services.tenant_feature_set(tenant=tenant, **data)
    assert field in err.value.fields
    assert not TenantFeature.objects.for_tenant(tenant).exists()
    assert not TenantFeatureHistory.objects.for_tenant(tenant).exists()


def test_remove_returns_the_tool_to_the_plan_and_is_recorded(tenant):
    subscribe(tenant, "start")
    services.tenant_feature_set(tenant=tenant, feature="export", mode="grant", reason="x")
    services.tenant_feature_remove(tenant=tenant, feature="export", reason="deal ended")
    assert not entitlements_get(tenant).has("export")
    assert override_history(tenant)[0].action == "removed"
    with pytest.raises(NotFound):
        services.tenant_feature_remove(tenant=tenant, feature="export")


def test_expiry_task_removes_records_and_invalidates_once(tenant, other_tenant):
    subscribe(tenant, "start")
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        services.tenant_feature_set(
            tenant=tenant,
            feature="export",
            mode="trial",
            reason="try it",
            expires_at=now + timedelta(days=3),
        )
        services.tenant_feature_set(
            tenant=other_tenant,
            feature="export",
            mode="grant",
            reason="long",
            expires_at=now + timedelta(days=30),
        )
        assert entitlements_get(tenant).has("export")
    with time_machine.travel(now + timedelta(days=3, minutes=1), tick=False):
        assert expire_tenant_features_task.delay().get() == 1
        assert expire_tenant_features_task.delay().get() == 0  # safe to run twice
        assert not entitlements_get(tenant).has("export")
    assert not TenantFeature.objects.for_tenant(tenant).exists()
    assert TenantFeature.objects.for_tenant(other_tenant).exists()
    assert [h.action for h in override_history(tenant)] == ["expired", "set"]
