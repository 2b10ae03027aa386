"""Recurring charges (seed 004): the eligible list and the idempotent charge endpoint."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from apps.billing import services
from apps.billing.models import PlanStatus, Subscription
from apps.billing.tests.helpers import plan, start_trial, subscribe
from apps.core.errors import ProviderError
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import Payment, PaymentStatus
from conftest import api_client_for
from tests.factories import TenantFactory, UserFactory
from tests.staff import staff_mfa_api

REAL_CHARGE = SandboxGateway.charge_saved

pytestmark = pytest.mark.django_db

ELIGIBLE = "/api/v1/ops/subscriptions/eligible/"


def _charge_url(subscription, request_id):
    return f"/api/v1/ops/subscriptions/{subscription.pk}/charge/{request_id}/"


@pytest.fixture
def staff_api():
    # the ops API takes staff who signed in with their authenticator app's code
    return staff_mfa_api(UserFactory(is_staff=True))


def _due(tenant, code="pro", method="sandbox_card_1") -> Subscription:
    now = timezone.now()
    subscription = subscribe(
        tenant, code, period_start=now - timedelta(days=31), period_end=now - timedelta(hours=1)
    )
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id=method
    )
    subscription.refresh_from_db()
    return subscription


def test_eligible_lists_due_active_subscriptions_on_active_or_closed_plans(tenant, staff_api):
    due = _due(tenant)
    closed = _due(TenantFactory(), "start")
    plan("start").__class__.objects.filter(code="start").update(status=PlanStatus.CLOSED)
    _due(TenantFactory(), "business")
    plan("business").__class__.objects.filter(code="business").update(status=PlanStatus.RETIRED)
    subscribe(TenantFactory(), "pro")  # not due yet
    start_trial(TenantFactory())
    assert sorted(staff_api.get(ELIGIBLE).json()) == sorted([due.pk, closed.pk])


def test_ops_endpoints_are_staff_only(tenant, admin_api):
    subscription = _due(tenant)
    assert admin_api.get(ELIGIBLE).status_code == 403
    assert admin_api.post(_charge_url(subscription, "r1")).status_code == 403
    assert api_client_for(None).get(ELIGIBLE).status_code == 401


def test_charge_moves_the_subscription_to_the_next_period(tenant, staff_api):
    subscription = _due(tenant)
    old_end = subscription.current_period_end
    body = staff_api.post(_charge_url(subscription, "r1")).json()
    assert body["outcome"] == "charged" and body["payment"]["status"] == "succeeded"
    assert body["payment"]["amount"] == {"amount": 999000, "currency": "RUB"}
    subscription.refresh_from_db()
    assert subscription.current_period_start == old_end
    assert subscription.current_period_end > timezone.now()
    assert staff_api.get(ELIGIBLE).json() == []


def test_same_request_id_returns_the_first_result_without_calling_the_provider(tenant, staff_api):
    subscription = _due(tenant)
    first = staff_api.post(_charge_url(subscription, "r1")).json()
    with mock.patch.object(SandboxGateway, "charge_saved") as provider:
        again = staff_api.post(_charge_url(subscription, "r1")).json()
    provider.assert_not_called()
    assert again["outcome"] == "replayed"
    assert again["payment"]["payment_id"] == first["payment"]["payment_id"]


def test_a_request_id_used_for_another_subscription_is_a_conflict(tenant, staff_api):
    # given a charge of one subscription under request id r1
    first = _due(tenant)
    staff_api.post(_charge_url(first, "r1"))
    other = _due(TenantFactory())
    # when another subscription is charged with the same request id
    with mock.patch.object(SandboxGateway, "charge_saved") as provider:
        response = staff_api.post(_charge_url(other, "r1"))
    # then 409, not the first subscription's payment as a replay; nothing charged
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_id_conflict"
    provider.assert_not_called()
    assert not Payment.objects.unscoped().filter(subscription=other).exists()
    # and the first subscription still replays its own result
    assert staff_api.post(_charge_url(first, "r1")).json()["outcome"] == "replayed"


def test_a_period_is_charged_once_whatever_the_request_id(tenant, staff_api):
    subscription = _due(tenant)
    staff_api.post(_charge_url(subscription, "r1"))
    # the subscription has moved on: a new request for it is not due
    response = staff_api.post(_charge_url(subscription, "r2"))
    assert response.status_code == 409
    assert Payment.objects.for_tenant(tenant).filter(status="succeeded").count() == 1


def test_interrupted_charge_is_retried_with_the_same_idempotency_key(tenant, staff_api):
    subscription = _due(tenant)
    keys = []

    def flaky(self, request):
        keys.append(request.idempotency_key)
        if len(keys) == 1:
            raise ProviderError("timeout")
        return REAL_CHARGE(SandboxGateway(), request)

    with mock.patch.object(SandboxGateway, "charge_saved", flaky):
        first = staff_api.post(_charge_url(subscription, "r1")).json()
        second = staff_api.post(_charge_url(subscription, "r2")).json()
    assert first["outcome"] == "pending" and second["outcome"] == "charged"
    assert keys[0] == keys[1]
    assert Payment.objects.for_tenant(tenant).count() == 1


def test_decline_fails_the_payment_with_a_reason_and_marks_past_due(tenant, staff_api):
    subscription = _due(tenant, method="sandbox_card_decline")
    body = staff_api.post(_charge_url(subscription, "r1"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["outcome"] == "declined" and body["payment"]["status"] == "failed"
    assert "insufficient funds" in body["payment"]["failure_reason"]
    subscription.refresh_from_db()
    assert subscription.status == "past_due"


def test_unknown_subscription_is_404_and_long_request_id_400(staff_api, db):
    assert staff_api.post("/api/v1/ops/subscriptions/999999/charge/r1/").status_code == 404
    assert staff_api.post(f"/api/v1/ops/subscriptions/1/charge/{'x' * 65}/").status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_charges_call_the_provider_once():
    # given a due subscription and a slow provider
    tenant = TenantFactory()
    subscription = _due(tenant)
    calls = []
    barrier = threading.Barrier(4)

    def slow(self, request):
        calls.append(request.idempotency_key)
        return REAL_CHARGE(SandboxGateway(), request)

    results = []

    def worker(n):
        try:
            barrier.wait()
            outcome = services.subscription_charge(
                subscription_id=subscription.pk, request_id=f"req-{n}"
            )
            results.append(outcome.outcome)
        except Exception as exc:
            results.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    # when four workers charge it at once
    with mock.patch.object(SandboxGateway, "charge_saved", slow):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # then the provider was called once and one payment exists
    assert len(calls) == 1, results
    assert Payment.objects.for_tenant(tenant).filter(status=PaymentStatus.SUCCEEDED).count() == 1
    assert results.count("charged") == 1
