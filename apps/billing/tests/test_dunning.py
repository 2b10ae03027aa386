"""Dunning with a frozen clock (seed 001): a declined renewal is retried on day 3, 6 and 9,
access lasts 7 days, then the tenant is blocked; a successful retry restores everything,
a last failed one ends the subscription. E-mails go out once each."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.tokens import tokens_for
from apps.billing.models import (
    AccessState,
    BillingAccount,
    BillingEvent,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.dunning import subscriptions_retry_due
from apps.billing.tasks import charge_due_subscriptions_task
from apps.billing.tests.helpers import plan, subscribe
from apps.payments.models import Payment, PaymentStatus
from tests.factories import UserFactory
from tests.staff import staff_totp

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # the period ends; the beat runs at 03:00 daily


@pytest.fixture
def english_admin(admin_user):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    return admin_user


@pytest.fixture
def past_due_ready(tenant, english_admin):
    """A Pro subscription whose period ends at T0, on a card that declines."""
    with time_machine.travel(T0 - timedelta(days=28), tick=False):
        subscription = subscribe(tenant, "pro", period_start=T0 - timedelta(days=28), period_end=T0)
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id="sandbox_card_decline_1"
    )
    return subscription


def _run(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return charge_due_subscriptions_task.delay().get()


def _sub(subscription) -> Subscription:
    return Subscription.objects.unscoped().get(pk=subscription.pk)


def _access(tenant) -> str:
    return BillingAccount.objects.for_tenant(tenant).get().access_state


def _subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def _day(n: int, minutes: int = 0) -> datetime:
    return T0 + timedelta(days=n, minutes=minutes)


def test_decline_retries_blocks_after_grace_and_a_day_9_retry_restores_everything(
    tenant, past_due_ready, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # day 0: the renewal is declined
    assert _run(_day(0, 1), capture)["declined"] == 1
    sub = _sub(past_due_ready)
    assert sub.status == SubscriptionStatus.PAST_DUE
    assert sub.dunning_attempts == 0
    assert sub.grace_until == _day(7, 1)
    assert sub.next_retry_at == _day(3, 1)
    failed = Payment.objects.for_tenant(tenant).get()
    assert failed.status == PaymentStatus.FAILED and failed.kind == "renewal"
    assert sub.last_failure_reason == failed.failure_reason != ""
    assert _access(tenant) == AccessState.ACTIVE
    assert _subjects() == ["Fast Lead payment failed: please update your card"]
    body = mail.outbox[0].body
    assert failed.failure_reason in body
    assert "5 March 2026" in body and "9 March 2026" in body  # next retry, grace end
    assert "9,990" in body and "/billing/" in body

    # the same day again (a re-run, a second beat): nothing new
    assert _run(_day(0, 30), capture)["declined"] == 0
    assert Payment.objects.for_tenant(tenant).count() == 1 and len(mail.outbox) == 1

    # day 3 (the beat runs a minute before the decline's time of day): retry 1 fails
    assert _run(_day(3), capture)["declined"] == 1
    sub = _sub(past_due_ready)
    assert (sub.dunning_attempts, sub.next_retry_at) == (1, _day(6, 1))
    assert _run(_day(4), capture)["declined"] == 0
    assert len(mail.outbox) == 2 and "8 March 2026" in mail.outbox[1].body

    # day 6: retry 2 fails; access is still kept
    assert _run(_day(6), capture)["declined"] == 1
    sub = _sub(past_due_ready)
    assert (sub.dunning_attempts, sub.next_retry_at) == (2, _day(9, 1))
    assert _access(tenant) == AccessState.ACTIVE

    # day 7: the grace is over: blocked, retries go on
    assert _run(_day(7), capture)["blocked"] == 1
    assert _run(_day(7, 20), capture)["blocked"] == 0
    assert _access(tenant) == AccessState.BLOCKED
    assert _sub(past_due_ready).status == SubscriptionStatus.PAST_DUE
    assert _subjects()[-1] == "Access to Fast Lead is paused"
    assert len(mail.outbox) == 4

    # day 9: the card works again and retry 3 goes through
    Subscription.objects.unscoped().filter(pk=past_due_ready.pk).update(
        payment_method_id="sandbox_card_ok"
    )
    assert _run(_day(9), capture)["charged"] == 1
    sub = _sub(past_due_ready)
    assert sub.status == SubscriptionStatus.ACTIVE
    assert (sub.dunning_attempts, sub.next_retry_at, sub.grace_until) == (0, None, None)
    assert sub.last_failure_reason == ""
    assert (sub.current_period_start, sub.current_period_end) == (
        T0,
        datetime(2026, 4, 2, 3, 0, tzinfo=UTC),
    )
    assert _access(tenant) == AccessState.ACTIVE
    assert _subjects()[-1] == "[TEST] Payment received: 9,990.00 RUB"
    assert "2 March 2026 – 2 April 2026" in mail.outbox[-1].body
    assert "Plan: Pro" in mail.outbox[-1].body  # in the recipient's language

    # afterwards: nothing more to do, no more mail
    assert _run(_day(10), capture)["charged"] == 0
    assert len(mail.outbox) == 5
    statuses = list(Payment.objects.for_tenant(tenant).values_list("status", flat=True))
    assert sorted(statuses) == ["failed"] * 3 + ["succeeded"]
    kinds = list(BillingEvent.objects.for_tenant(tenant).values_list("kind", flat=True))
    assert kinds.count("payment_failed") == 3 and kinds.count("grace_ended") == 1
    assert kinds.count("retry_scheduled") == 3 and kinds.count("renewed") == 1


def test_when_every_retry_fails_the_subscription_expires_and_stays_blocked(
    tenant, past_due_ready, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for day in (0, 3, 6, 7, 9):
        _run(_day(day, 1 if day == 0 else 0), capture)
    sub = _sub(past_due_ready)
    assert sub.status == SubscriptionStatus.EXPIRED and sub.ended_at == _day(9)
    assert sub.dunning_attempts == 3 and sub.next_retry_at is None
    assert _access(tenant) == AccessState.BLOCKED
    assert _subjects() == [
        "Fast Lead payment failed: please update your card",
        "Fast Lead payment failed: please update your card",
        "Fast Lead payment failed: please update your card",
        "Access to Fast Lead is paused",
        "Fast Lead subscription ended: the payment failed",
    ]
    assert "last attempt" in mail.outbox[-1].body
    # later runs change nothing and send nothing
    for day in (10, 12, 40):
        assert _run(_day(day), capture)["declined"] == 0
    assert len(mail.outbox) == 5
    assert Payment.objects.for_tenant(tenant).count() == 4
    assert _access(tenant) == AccessState.BLOCKED


def test_pay_now_on_the_billing_page_ends_dunning(
    tenant, past_due_ready, admin_client_web, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for day in (0, 3, 6, 7):
        _run(_day(day, 1 if day == 0 else 0), capture)
    assert _access(tenant) == AccessState.BLOCKED
    sent = len(mail.outbox)
    with time_machine.travel(_day(8), tick=False), capture(execute=True):
        # given the blocked tenant on its billing page
        page = admin_client_web.get(reverse("billing:overview", args=[tenant.slug]))
        html = page.content.decode()
        assert page.status_code == 200 and 'id="dunning"' in html
        assert _sub(past_due_ready).last_failure_reason in html
        # when it pays the overdue period by hand with another card
        response = admin_client_web.post(reverse("billing:pay-overdue", args=[tenant.slug]))
        payment = Payment.objects.for_tenant(tenant).get(status=PaymentStatus.PENDING)
        assert response.url == reverse("billing:sandbox", args=[tenant.slug, payment.pk])
        again = admin_client_web.post(reverse("billing:pay-overdue", args=[tenant.slug]))
        assert again.url == response.url  # the same payment, not a second one
        admin_client_web.post(response.url, {"action": "approve"})
    # then everything is back, and the new card is kept for renewals
    sub = _sub(past_due_ready)
    assert sub.status == SubscriptionStatus.ACTIVE and sub.next_retry_at is None
    assert sub.current_period_start == T0
    assert sub.payment_method_id.startswith("sandbox_card_") and "decline" not in (
        sub.payment_method_id
    )
    assert _access(tenant) == AccessState.ACTIVE
    assert len(mail.outbox) == sent + 1 and "Payment received" in mail.outbox[-1].subject
    # and the retry of day 9 does not happen
    assert _run(_day(9), capture)["charged"] == 0
    assert Payment.objects.for_tenant(tenant).filter(status="succeeded").count() == 1


def test_pay_now_with_nothing_overdue_says_so(tenant, admin_client_web):
    subscribe(tenant, "pro")
    response = admin_client_web.post(
        reverse("billing:pay-overdue", args=[tenant.slug]), follow=True
    )
    assert Payment.objects.for_tenant(tenant).count() == 0
    said = " ".join(str(m) for m in response.context["messages"])
    assert "Nothing is overdue" in said or "Задолженности нет" in said


def test_the_ops_endpoints_list_due_retries_and_charge_them(
    tenant, past_due_ready, django_capture_on_commit_callbacks
):
    user = staff_totp(UserFactory(is_staff=True)).user
    staff = APIClient()  # no JWT in the header: the clock travels; a token signed in with a code
    staff.force_authenticate(user, token=tokens_for(user, otp=True).access_token)
    _run(_day(0, 1), django_capture_on_commit_callbacks)
    with time_machine.travel(_day(1), tick=False):
        assert staff.get("/api/v1/ops/subscriptions/retries/").json() == []
        assert staff.get("/api/v1/ops/subscriptions/eligible/").json() == []
        early = staff.post(f"/api/v1/ops/subscriptions/{past_due_ready.pk}/charge/x1/")
        assert early.status_code == 409
    with time_machine.travel(_day(3, 2), tick=False):
        assert staff.get("/api/v1/ops/subscriptions/retries/").json() == [past_due_ready.pk]
        assert staff.get("/api/v1/ops/subscriptions/eligible/").json() == []
        body = staff.post(f"/api/v1/ops/subscriptions/{past_due_ready.pk}/charge/x2/").json()
        assert body["outcome"] == "declined"
        assert staff.get("/api/v1/ops/subscriptions/retries/").json() == []
    assert _sub(past_due_ready).dunning_attempts == 1
    assert Payment.objects.for_tenant(tenant).count() == 2


def test_retries_are_due_from_an_hour_before_their_time(tenant, past_due_ready):
    Subscription.objects.unscoped().filter(pk=past_due_ready.pk).update(
        status="past_due", next_retry_at=_day(3), grace_until=_day(7)
    )
    assert not subscriptions_retry_due(_day(3) - timedelta(hours=2)).exists()
    assert subscriptions_retry_due(_day(3) - timedelta(minutes=30)).exists()
    plan("pro").__class__.objects.filter(code="pro").update(status="retired")
    assert not subscriptions_retry_due(_day(3)).exists()
    assert subscriptions_retry_due(_day(3), any_plan=True).exists()


def test_a_declined_payment_by_hand_records_the_reason_but_is_not_a_retry(
    tenant, past_due_ready, admin_client_web, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _run(_day(0, 1), capture)
    sent = len(mail.outbox)
    with time_machine.travel(_day(1), tick=False), capture(execute=True):
        response = admin_client_web.post(reverse("billing:pay-overdue", args=[tenant.slug]))
        admin_client_web.post(response.url, {"action": "decline"})
    sub = _sub(past_due_ready)
    assert sub.status == SubscriptionStatus.PAST_DUE
    assert (sub.dunning_attempts, sub.next_retry_at) == (0, _day(3, 1))
    assert sub.last_failure_reason != ""
    assert len(mail.outbox) == sent  # the payer saw the decline on screen
    assert Payment.objects.for_tenant(tenant).filter(status="failed").count() == 2
