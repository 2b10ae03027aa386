"""Billing plugs into tenants at start-up: the trial starts on `TenantCreated`, in the creating
transaction, and the plans answer the member and company limits."""

import pytest

from apps.billing import tenant_hooks
from apps.billing.models import Subscription
from apps.core import events
from apps.tenants import services as tenant_services
from apps.tenants.events import TenantCreated
from apps.tenants.models import Tenant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_billing_subscribes_to_tenant_created_inside_the_transaction():
    assert tenant_hooks.trial_start_on_tenant_created in events._in_transaction[TenantCreated]
    assert tenant_hooks.trial_start_on_tenant_created not in events._after_commit[TenantCreated]


def test_a_new_company_starts_its_trial_created_by_its_founder():
    user = UserFactory()
    tenant = tenant_services.tenant_create(user=user, name="Acme")
    subscription = Subscription.objects.for_tenant(tenant).get()
    assert subscription.status == "trialing" and subscription.plan.trial_days == 14
    assert subscription.created_by == user


def test_a_failing_trial_start_leaves_no_company_behind(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("billing is down")

    monkeypatch.setattr(tenant_hooks, "subscription_start_trial", broken)
    with pytest.raises(RuntimeError):
        tenant_services.tenant_create(user=UserFactory(), name="Acme")
    assert not Tenant.objects.filter(name="Acme").exists()


def test_the_event_carries_ids_only(monkeypatch):
    seen = []
    monkeypatch.setattr(events, "_in_transaction", events.defaultdict(list))
    events.subscribe(TenantCreated, seen.append, in_transaction=True)
    user = UserFactory()
    tenant = tenant_services.tenant_create(user=user, name="Acme")
    assert seen == [TenantCreated(tenant_id=str(tenant.pk), user_id=user.pk)]
    assert not Subscription.objects.for_tenant(tenant).exists()  # billing was unsubscribed
