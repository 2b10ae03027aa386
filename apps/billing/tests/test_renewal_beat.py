"""The daily renewal beat: period-end rules (cancel at period end, scheduled downgrade,
retired / closed / paused), deterministic request ids, e-mails once each, and safety when
run twice or on two workers."""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse

from apps.billing import services
from apps.billing.models import (
    AccessState,
    BillingAccount,
    BillingEvent,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.renewals import renewals_run
from apps.billing.tasks import charge_due_subscriptions_task
from apps.billing.tests.helpers import plan, subscribe
from apps.core.errors import ProviderError
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services import payments as payment_steps
from tests.factories import MembershipFactory, TenantFactory

REAL_CHARGE = SandboxGateway.charge_saved
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _due(tenant, code="pro", method="sandbox_card_1", **fields) -> Subscription:
    with time_machine.travel(T0 - timedelta(days=28), tick=False):
        subscription = subscribe(tenant, code, period_start=T0 - timedelta(days=28), period_end=T0)
    Subscription.objects.unscoped().filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id=method, **fields
    )
    return Subscription.objects.unscoped().get(pk=subscription.pk)


def _run(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return charge_due_subscriptions_task.delay().get()


def _sub(subscription) -> Subscription:
    return Subscription.objects.unscoped().select_related("plan").get(pk=subscription.pk)


def _access(tenant) -> str:
    return BillingAccount.objects.for_tenant(tenant).get().access_state


def _set_plan_status(code, status):
    Plan.objects.filter(code=code).update(status=status)


def test_renewal_is_charged_once_with_one_payment_succeeded_mail(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    subscription = _due(tenant)
    first = _run(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)
    again = _run(T0 + timedelta(minutes=6), django_capture_on_commit_callbacks)
    assert first["charged"] == 1 and again["charged"] == 0
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.kind == "renewal"
    assert payment.request_id == f"beat-{subscription.pk}-20260302-0"
    assert _sub(subscription).current_period_start == T0
    assert len(mail.outbox) == 1 and [admin_user.email] == mail.outbox[0].to
    # the ops endpoint replaying that request id sends nothing more
    replay = services.subscription_charge(
        subscription_id=subscription.pk, request_id=payment.request_id
    )
    assert replay.outcome == "replayed" and len(mail.outbox) == 1


def test_cancel_at_period_end_ends_the_subscription_instead_of_charging(
    tenant, django_capture_on_commit_callbacks
):
    subscription = _due(tenant, cancel_at_period_end=True)
    with mock.patch.object(SandboxGateway, "charge_saved") as provider:
        counts = _run(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)
    provider.assert_not_called()
    assert counts["canceled"] == 1
    sub = _sub(subscription)
    assert sub.status == SubscriptionStatus.CANCELED and sub.ended_at == T0
    assert Payment.objects.for_tenant(tenant).count() == 0
    # no plan left: read-only for the grace (as "cancel now"), then blocked; data kept
    assert _access(tenant) == AccessState.READ_ONLY
    account = BillingAccount.objects.for_tenant(tenant).get()
    assert account.read_only_until == T0 + timedelta(days=7)
    _run(T0 + timedelta(days=7, minutes=1), django_capture_on_commit_callbacks)
    assert _access(tenant) == AccessState.READ_ONLY  # the lifecycle beat blocks, not this one
    assert BillingEvent.objects.for_tenant(tenant).filter(kind="canceled").count() == 1
    assert services.subscriptions_eligible(T0 + timedelta(days=1)).count() == 0


def test_a_scheduled_downgrade_becomes_the_plan_of_the_new_period_at_its_price(
    tenant, django_capture_on_commit_callbacks
):
    subscription = _due(tenant, "pro", pending_plan=plan("start"))
    assert _run(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)["charged"] == 1
    sub = _sub(subscription)
    assert sub.plan.code == "start" and sub.pending_plan_id is None
    payment = Payment.objects.for_tenant(tenant).get()
    assert (payment.amount, payment.plan.code) == (plan("start").price_amount, "start")
    assert BillingEvent.objects.for_tenant(tenant).filter(kind="downgraded").count() == 1


def test_closed_plans_renew_retired_plans_expire_paused_are_not_charged(
    django_capture_on_commit_callbacks,
):
    closed_tenant, retired_tenant, paused_tenant = TenantFactory(), TenantFactory(), TenantFactory()
    closed = _due(closed_tenant, "start")
    retired = _due(retired_tenant, "business")
    paused = _due(paused_tenant, "pro", status=SubscriptionStatus.PAUSED)
    _set_plan_status("start", PlanStatus.CLOSED)
    _set_plan_status("business", PlanStatus.RETIRED)
    counts = _run(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert (counts["charged"], counts["expired"]) == (1, 1)
    assert _sub(closed).status == SubscriptionStatus.ACTIVE
    assert _sub(closed).current_period_start == T0
    assert _sub(retired).status == SubscriptionStatus.EXPIRED
    assert _sub(retired).ended_at == T0
    assert _sub(paused).status == SubscriptionStatus.PAUSED
    assert Payment.objects.unscoped().filter(tenant=retired_tenant).count() == 0
    assert Payment.objects.unscoped().filter(tenant=paused_tenant).count() == 0


def test_one_failing_subscription_never_stops_the_others(
    django_capture_on_commit_callbacks,
):
    broken, fine = _due(TenantFactory()), _due(TenantFactory())

    def charge(self, request):
        if request.customer_ref == str(broken.tenant_id):
            raise RuntimeError("bug in an adapter")
        return REAL_CHARGE(self, request)

    with mock.patch.object(SandboxGateway, "charge_saved", charge):
        counts = _run(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert (counts["errors"], counts["charged"]) == (1, 1)
    assert _sub(fine).current_period_start == T0


def test_an_unknown_outcome_is_resumed_next_day_with_the_same_idempotency_key(
    tenant, django_capture_on_commit_callbacks
):
    subscription = _due(tenant)
    keys = []

    def flaky(self, request):
        keys.append(request.idempotency_key)
        if len(keys) == 1:
            raise ProviderError("timeout")
        return REAL_CHARGE(self, request)

    with mock.patch.object(SandboxGateway, "charge_saved", flaky):
        assert _run(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)["pending"] == 1
        assert _run(T0 + timedelta(days=1), django_capture_on_commit_callbacks)["charged"] == 1
    assert keys[0] == keys[1]
    assert Payment.objects.for_tenant(tenant).count() == 1
    assert _sub(subscription).status == SubscriptionStatus.ACTIVE


def test_renewal_reminder_goes_out_3_days_before_once_per_period(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    subscription = _due(tenant)
    capture = django_capture_on_commit_callbacks
    assert _run(T0 - timedelta(days=4), capture)["reminded"] == 0
    assert _run(T0 - timedelta(days=3) + timedelta(minutes=1), capture)["reminded"] == 1
    assert _run(T0 - timedelta(days=2), capture)["reminded"] == 0
    assert _run(T0 - timedelta(days=1), capture)["reminded"] == 0
    assert [m.subject for m in mail.outbox] == ["Your Fast Lead subscription renews on 2 March"]
    assert "9,990" in mail.outbox[0].body and "Pro" in mail.outbox[0].body
    # the renewal goes through; the next period gets its own reminder
    _run(T0 + timedelta(minutes=5), capture)
    assert _sub(subscription).current_period_end == datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
    assert _run(datetime(2026, 3, 30, 4, 0, tzinfo=UTC), capture)["reminded"] == 1
    assert _run(datetime(2026, 3, 31, 4, 0, tzinfo=UTC), capture)["reminded"] == 0
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("Your Fast Lead subscription renews on 2 April") == 1


def test_sandbox_card_that_declines_later_is_declined_at_renewal(
    tenant, admin_client_web, django_capture_on_commit_callbacks
):
    # given a tenant that paid for Pro choosing "approve, but decline future charges"
    with time_machine.travel(T0 - timedelta(days=31), tick=False):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
        page = reverse("billing:sandbox", args=[tenant.slug, payment.pk])
        assert 'value="approve_decline_later"' in admin_client_web.get(page).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            admin_client_web.post(page, {"action": "approve_decline_later"})
    subscription = Subscription.objects.for_tenant(tenant).get(status="active")
    assert "decline" in subscription.payment_method_id
    # when its renewal is due, then the charge is declined and dunning starts
    counts = _run(
        subscription.current_period_end + timedelta(minutes=1), django_capture_on_commit_callbacks
    )
    assert counts["declined"] == 1
    assert _sub(subscription).status == SubscriptionStatus.PAST_DUE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_beat_on_two_workers_at_once_charges_each_subscription_once():
    # given three due subscriptions, one on a declining card
    tenants = [TenantFactory() for _ in range(3)]
    for tenant in tenants:
        MembershipFactory(tenant=tenant, role="admin")
    subs = [_due(tenants[0]), _due(tenants[1]), _due(tenants[2], method="sandbox_card_decline")]
    calls = []
    barrier = threading.Barrier(2)
    errors = []

    def counting(self, request):
        calls.append(request.idempotency_key)
        return REAL_CHARGE(self, request)

    def worker():
        try:
            barrier.wait()
            renewals_run(T0 + timedelta(minutes=5))
        except Exception as exc:  # pragma: no cover - shown in the assertion
            errors.append(repr(exc))
        finally:
            connection.close()

    # when two workers run the beat at the same moment (and a third runs it again later)
    with (
        time_machine.travel(T0 + timedelta(minutes=5), tick=False),
        mock.patch.object(SandboxGateway, "charge_saved", counting),
    ):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        renewals_run(T0 + timedelta(minutes=6))
    # then each subscription was charged once: one payment, one provider call, one e-mail
    assert errors == []
    assert len(calls) == 3, calls
    assert Payment.objects.unscoped().filter(status=PaymentStatus.SUCCEEDED).count() == 2
    assert Payment.objects.unscoped().filter(status=PaymentStatus.FAILED).count() == 1
    assert Subscription.objects.unscoped().get(pk=subs[2].pk).status == "past_due"
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 3, subjects


def test_a_first_payment_sends_one_payment_succeeded_mail_even_when_confirmed_twice(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
        payment_steps.payment_sandbox_complete(payment=payment, approve=True)
        payment_steps.payment_sandbox_complete(payment=payment, approve=True)  # a double click
        payment_steps.payment_apply_status(payment, PaymentStatus.SUCCEEDED)  # a late webhook
    assert len(mail.outbox) == 1
    assert "9" in mail.outbox[0].subject and "RUB" in mail.outbox[0].subject
