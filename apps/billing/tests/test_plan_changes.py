"""Plan changes: the proration formula, credit use, declines, timeouts, replays and rules."""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone, translation

from apps.billing.errors import PaymentDeclined
from apps.billing.models import (
    BillingEvent,
    DowngradePolicy,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.credits import credit_add, credit_balance
from apps.billing.services.payments import ProviderUnavailable
from apps.billing.services.plan_changes import (
    plan_change_confirm,
    plan_change_preview,
    prorate,
)
from apps.billing.tests.helpers import plan, start_trial, subscribe
from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.money import Money
from apps.features.selectors import entitlements_get
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import Payment, PaymentKind, PaymentStatus
from apps.payments.services.payments import payment_sandbox_complete
from tests.factories import TenantFactory

START, PRO, BUSINESS = 499000, 999000, 1999000
# A 30-day period: 2,592,000 seconds.
PERIOD_START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD_END = PERIOD_START + timedelta(days=30)
PERIOD = PERIOD_END - PERIOD_START


@pytest.fixture
def on_start(tenant):
    """The tenant on Start for the 30-day period, with a saved sandbox card."""
    subscription = subscribe(tenant, "start", period_start=PERIOD_START, period_end=PERIOD_END)
    subscription.provider = "sandbox"
    subscription.payment_method_id = "sandbox_card_ok"
    subscription.save()
    return subscription


def at(seconds: float) -> datetime:
    return PERIOD_START + timedelta(seconds=seconds)


# --- the formula ------------------------------------------------------------------------------


def test_prorate_charges_the_full_difference_in_the_first_second():
    assert prorate(PRO - START, remaining=PERIOD, period=PERIOD) == PRO - START


def test_prorate_charges_one_period_fraction_in_the_last_second():
    # 500000 × 1 / 2592000 = 0.19 kopecks -> rounds to 0
    assert prorate(PRO - START, remaining=timedelta(seconds=1), period=PERIOD) == 0
    # 1500000 × 1 / 2592000 = 0.58 -> rounds half-up to 1
    assert prorate(BUSINESS - START, remaining=timedelta(seconds=1), period=PERIOD) == 1


def test_prorate_rounds_half_up_exactly():
    # 3 × 1/2 = 1.5 -> 2; 5 × 1/2 = 2.5 -> 3; 1 × 1/3 = 0.33 -> 0; 2 × 1/3 = 0.67 -> 1
    half, third = timedelta(seconds=1), timedelta(seconds=1)
    assert prorate(3, remaining=half, period=timedelta(seconds=2)) == 2
    assert prorate(5, remaining=half, period=timedelta(seconds=2)) == 3
    assert prorate(1, remaining=third, period=timedelta(seconds=3)) == 0
    assert prorate(2, remaining=third, period=timedelta(seconds=3)) == 1


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0, 500000),  # first second: the whole difference
        (PERIOD.total_seconds() / 2, 250000),  # half-way
        (PERIOD.total_seconds() / 3, 333333),  # 333,333.33 -> 333,333
        (10 * 86400, 333333),  # 20 of 30 days left
        (PERIOD.total_seconds() - 1, 0),  # the last second
    ],
)
def test_upgrade_preview_prorates_the_difference_over_the_remaining_time(
    tenant, on_start, elapsed, expected
):
    preview = plan_change_preview(tenant, plan("pro"), at=at(elapsed))

    assert preview.action == "upgrade"
    assert preview.effective == "now"
    assert preview.amount == Money(expected, "RUB")
    assert preview.charge == Money(expected, "RUB")
    assert preview.period_seconds == 30 * 86400
    assert preview.remaining_seconds == int(PERIOD.total_seconds() - elapsed)


def test_preview_refuses_a_change_once_the_period_is_over(tenant, on_start):
    with pytest.raises(Conflict) as error:
        plan_change_preview(tenant, plan("pro"), at=PERIOD_END)
    assert error.value.code == "renewal_due"


# --- rules ------------------------------------------------------------------------------------


def test_same_plan_is_already_subscribed(tenant, on_start):
    with pytest.raises(Conflict) as error:
        plan_change_preview(tenant, plan("start"), at=at(60))
    assert error.value.code == "already_subscribed"
    assert error.value.status_code == 409


def test_cross_currency_change_is_refused_with_a_clear_message(tenant, on_start):
    with translation.override("en"), pytest.raises(Conflict) as error:
        plan_change_preview(tenant, plan("email_2500"), at=at(60))
    assert error.value.code == "currency_mismatch"
    assert "checkout" in error.value.message


def test_only_active_plans_can_be_chosen(tenant, on_start):
    Plan.objects.filter(code="pro").update(status=PlanStatus.CLOSED)
    with pytest.raises(ValidationFailed) as error:
        plan_change_preview(tenant, plan("pro"), at=at(60))
    assert error.value.code == "plan_not_sold"


def test_a_trial_is_told_to_buy_through_payments(tenant):
    start_trial(tenant)
    with translation.override("en"), pytest.raises(Conflict) as error:
        plan_change_preview(tenant, plan("pro"))
    assert error.value.code == "no_paid_subscription"
    assert "pay" in error.value.message


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("status", SubscriptionStatus.PAUSED, "paused"),
        ("status", SubscriptionStatus.PAST_DUE, "past_due"),
        ("cancel_at_period_end", True, "cancel_scheduled"),
        ("provider_ref", "sub_123", "managed_by_provider"),
    ],
)
def test_changes_are_refused_outside_an_active_subscription(tenant, on_start, field, value, code):
    Subscription.objects.for_tenant(tenant).filter(pk=on_start.pk).update(**{field: value})
    with pytest.raises(Conflict) as error:
        plan_change_preview(tenant, plan("pro"), at=at(60))
    assert error.value.code == code


# --- upgrade ----------------------------------------------------------------------------------


def test_upgrade_with_a_saved_card_charges_the_proration_and_switches_in_place(
    tenant, admin_user, on_start
):
    # given a preview half-way through the period
    with mock.patch("django.utils.timezone.now", return_value=at(PERIOD.total_seconds() / 2)):
        preview = plan_change_preview(tenant, plan("pro"))
        # when it is confirmed with the previewed amount
        result = plan_change_confirm(
            tenant=tenant,
            new_plan=plan("pro"),
            expected_amount=preview.amount.amount,
            proration_date=preview.proration_date,
            actor=admin_user,
        )

    # then the card paid 2,500 RUB and the same subscription is on Pro for the same period
    assert result.outcome == "upgraded"
    payment = result.payment
    assert (payment.kind, payment.amount, payment.status) == ("proration", 250000, "succeeded")
    assert payment.subscription_id == on_start.pk
    on_start.refresh_from_db()
    assert on_start.plan.code == "pro"
    assert (on_start.current_period_start, on_start.current_period_end) == (
        PERIOD_START,
        PERIOD_END,
    )
    assert entitlements_get(tenant).plan_code == "pro"
    event = BillingEvent.objects.for_tenant(tenant).get(kind="upgraded")
    assert (event.amount, event.currency, event.actor) == (250000, "RUB", admin_user)


def test_a_different_amount_answers_409_with_the_new_amount(tenant, on_start):
    with (
        mock.patch("django.utils.timezone.now", return_value=at(3600)),
        pytest.raises(Conflict) as error,
    ):
        plan_change_confirm(tenant=tenant, new_plan=plan("pro"), expected_amount=1)

    assert error.value.code == "price_changed"
    expected = prorate(PRO - START, remaining=PERIOD - timedelta(hours=1), period=PERIOD)
    assert error.value.extra["amount"] == expected
    assert error.value.extra["preview"]["plan"] == "pro"
    assert not Payment.objects.for_tenant(tenant).exists()
    on_start.refresh_from_db()
    assert on_start.plan.code == "start"


def test_confirm_prices_at_the_previewed_instant_within_the_quote_ttl(tenant, on_start):
    with mock.patch("django.utils.timezone.now", return_value=at(3600)):
        preview = plan_change_preview(tenant, plan("pro"))
    # confirmed 90 seconds later: the quote's instant still prices it
    with mock.patch("django.utils.timezone.now", return_value=at(3690)):
        result = plan_change_confirm(
            tenant=tenant,
            new_plan=plan("pro"),
            expected_amount=preview.amount.amount,
            proration_date=preview.proration_date,
        )
    assert result.payment.amount == preview.amount.amount


def test_a_quote_older_than_the_ttl_is_priced_afresh(tenant, on_start):
    with mock.patch("django.utils.timezone.now", return_value=at(3600)):
        preview = plan_change_preview(tenant, plan("pro"))
    with (
        mock.patch("django.utils.timezone.now", return_value=at(3600 + 86400)),
        pytest.raises(Conflict) as error,
    ):
        plan_change_confirm(
            tenant=tenant,
            new_plan=plan("pro"),
            expected_amount=preview.amount.amount,
            proration_date=preview.proration_date,
        )
    assert error.value.code == "price_changed"


def test_a_decline_leaves_the_plan_unchanged_with_a_clear_402(tenant, on_start):
    Subscription.objects.for_tenant(tenant).filter(pk=on_start.pk).update(
        payment_method_id="sandbox_card_decline"
    )
    with (
        translation.override("en"),
        mock.patch("django.utils.timezone.now", return_value=at(0)),
        pytest.raises(PaymentDeclined) as error,
    ):
        plan_change_confirm(tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START)

    assert error.value.status_code == 402
    assert "insufficient funds" in error.value.message
    on_start.refresh_from_db()
    assert on_start.plan.code == "start"
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == PaymentStatus.FAILED
    assert not BillingEvent.objects.for_tenant(tenant).filter(kind="upgraded").exists()


def test_a_timeout_answers_503_keeps_the_plan_and_a_retry_uses_the_same_key(tenant, on_start):
    calls = []
    original = SandboxGateway.charge_saved

    def flaky(self, request):
        calls.append(request.idempotency_key)
        if len(calls) == 1:
            raise ProviderError("timeout", permanent=False)
        return original(self, request)

    with (
        mock.patch("django.utils.timezone.now", return_value=at(0)),
        mock.patch.object(SandboxGateway, "charge_saved", flaky),
    ):
        with pytest.raises(ProviderUnavailable) as error:
            plan_change_confirm(tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START)
        assert error.value.status_code == 503
        on_start.refresh_from_db()
        assert on_start.plan.code == "start"
        # a retry (even without the quote's date) retries the same payment
        result = plan_change_confirm(
            tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START
        )

    assert result.outcome == "upgraded"
    assert calls[0] == calls[1]
    assert Payment.objects.for_tenant(tenant).count() == 1


def test_a_replayed_confirm_charges_once(tenant, on_start):
    charges = []
    original = SandboxGateway.charge_saved

    def counting(self, request):
        charges.append(request.idempotency_key)
        return original(self, request)

    with (
        mock.patch("django.utils.timezone.now", return_value=at(0)),
        mock.patch.object(SandboxGateway, "charge_saved", counting),
    ):
        preview = plan_change_preview(tenant, plan("pro"))
        kwargs = {
            "tenant": tenant,
            "new_plan": plan("pro"),
            "expected_amount": preview.amount.amount,
            "proration_date": preview.proration_date,
        }
        first = plan_change_confirm(**kwargs)
        second = plan_change_confirm(**kwargs)

    assert len(charges) == 1
    assert (first.outcome, second.outcome) == ("upgraded", "upgraded")
    assert second.replayed and second.payment.pk == first.payment.pk
    assert BillingEvent.objects.for_tenant(tenant).filter(kind="upgraded").count() == 1


def test_credit_balance_pays_first_and_the_card_the_rest(tenant, on_start):
    credit_add(tenant=tenant, money=Money(100000, "RUB"), reason="gift", idempotency_key="g1")
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        preview = plan_change_preview(tenant, plan("pro"))
        assert preview.credit_applied == Money(100000, "RUB")
        assert preview.charge == Money(400000, "RUB")
        result = plan_change_confirm(
            tenant=tenant, new_plan=plan("pro"), expected_amount=preview.amount.amount
        )

    assert result.payment.amount == 400000
    assert credit_balance(tenant, "RUB") == Money(0, "RUB")
    event = BillingEvent.objects.for_tenant(tenant).get(kind="upgraded")
    assert event.amount == 500000 and event.data["credit_applied"] == 100000


def test_credit_covering_everything_needs_no_card(tenant, on_start):
    Subscription.objects.for_tenant(tenant).filter(pk=on_start.pk).update(payment_method_id="")
    credit_add(tenant=tenant, money=Money(900000, "RUB"), reason="gift", idempotency_key="g1")
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        result = plan_change_confirm(
            tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START
        )

    assert result.outcome == "upgraded" and result.payment is None
    assert not Payment.objects.for_tenant(tenant).exists()
    assert credit_balance(tenant, "RUB") == Money(400000, "RUB")
    on_start.refresh_from_db()
    assert on_start.plan.code == "pro"


def test_a_declined_card_gives_the_credit_part_back(tenant, on_start):
    Subscription.objects.for_tenant(tenant).filter(pk=on_start.pk).update(
        payment_method_id="sandbox_card_decline"
    )
    credit_add(tenant=tenant, money=Money(100000, "RUB"), reason="gift", idempotency_key="g1")
    with (
        mock.patch("django.utils.timezone.now", return_value=at(0)),
        pytest.raises(PaymentDeclined),
    ):
        plan_change_confirm(tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START)
    assert credit_balance(tenant, "RUB") == Money(100000, "RUB")


def test_without_a_saved_card_the_upgrade_applies_when_the_page_payment_succeeds(tenant, on_start):
    Subscription.objects.for_tenant(tenant).filter(pk=on_start.pk).update(payment_method_id="")
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        result = plan_change_confirm(
            tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START
        )
    assert result.outcome == "payment_required"
    assert "/billing/sandbox/" in result.confirmation_url
    on_start.refresh_from_db()
    assert on_start.plan.code == "start"

    # when the payer approves the test card
    payment_sandbox_complete(payment=result.payment, approve=True)

    # then the same subscription is on Pro and keeps the new card for renewals
    on_start.refresh_from_db()
    assert on_start.plan.code == "pro"
    assert on_start.payment_method_id.startswith("sandbox_card_")
    assert Subscription.objects.for_tenant(tenant).count() == 1


# --- downgrade --------------------------------------------------------------------------------


def test_downgrade_is_scheduled_for_the_next_period_by_default(tenant, admin_user):
    subscription = subscribe(tenant, "pro", period_start=PERIOD_START, period_end=PERIOD_END)
    with mock.patch("django.utils.timezone.now", return_value=at(86400)):
        preview = plan_change_preview(tenant, plan("start"))
        assert (preview.effective, preview.amount.amount) == ("next_period", 0)
        assert preview.effective_at == PERIOD_END
        result = plan_change_confirm(
            tenant=tenant, new_plan=plan("start"), expected_amount=0, actor=admin_user
        )

    assert result.outcome == "downgrade_scheduled"
    subscription.refresh_from_db()
    assert (subscription.plan.code, subscription.pending_plan.code) == ("pro", "start")
    assert BillingEvent.objects.for_tenant(tenant).filter(kind="downgrade_scheduled").exists()
    assert not Payment.objects.for_tenant(tenant).exists()


def test_immediate_downgrade_credits_the_unused_difference(tenant):
    Plan.objects.filter(code="start").update(downgrade_policy=DowngradePolicy.IMMEDIATE_CREDIT)
    subscription = subscribe(tenant, "pro", period_start=PERIOD_START, period_end=PERIOD_END)
    with mock.patch("django.utils.timezone.now", return_value=at(10 * 86400)):
        preview = plan_change_preview(tenant, plan("start"))
        # (9,990 - 4,990) × 20/30 = 3,333.33 RUB -> 333333 kopecks
        assert preview.credit_added == Money(333333, "RUB")
        result = plan_change_confirm(tenant=tenant, new_plan=plan("start"), expected_amount=333333)

    assert result.outcome == "downgraded"
    subscription.refresh_from_db()
    assert subscription.plan.code == "start"
    assert credit_balance(tenant, "RUB") == Money(333333, "RUB")
    kinds = set(BillingEvent.objects.for_tenant(tenant).values_list("kind", flat=True))
    assert {"downgraded", "credit_added"} <= kinds
    assert entitlements_get(tenant).plan_code == "start"


def test_an_upgrade_drops_a_scheduled_downgrade(tenant):
    subscription = subscribe(tenant, "pro", period_start=PERIOD_START, period_end=PERIOD_END)
    subscription.provider, subscription.payment_method_id = "sandbox", "sandbox_card_ok"
    subscription.pending_plan = plan("start")
    subscription.save()
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        plan_change_confirm(
            tenant=tenant, new_plan=plan("business"), expected_amount=BUSINESS - PRO
        )
    subscription.refresh_from_db()
    assert subscription.plan.code == "business" and subscription.pending_plan is None
    assert Payment.objects.for_tenant(tenant).get().kind == PaymentKind.PRORATION


def test_plan_changes_of_one_tenant_leave_another_alone(tenant, other_tenant, on_start):
    other = subscribe(other_tenant, "start", period_start=PERIOD_START, period_end=PERIOD_END)
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        plan_change_confirm(tenant=tenant, new_plan=plan("pro"), expected_amount=PRO - START)
    other.refresh_from_db()
    assert other.plan.code == "start"
    assert not BillingEvent.objects.for_tenant(other_tenant).filter(kind="upgraded").exists()
    assert timezone.now()  # the real clock is back


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_of_one_quote_charge_once():
    # given a company on Start with a saved card, and four tabs confirming the same quote
    tenant = TenantFactory()
    now = timezone.now()
    subscription = subscribe(
        tenant, "start", period_start=now - timedelta(days=10), period_end=now + timedelta(days=20)
    )
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id="sandbox_card_ok"
    )
    preview = plan_change_preview(tenant, plan("pro"))
    calls, results = [], []
    barrier = threading.Barrier(4)
    original = SandboxGateway.charge_saved

    def slow(self, request):
        calls.append(request.idempotency_key)
        return original(self, request)

    def worker():
        try:
            barrier.wait()
            result = plan_change_confirm(
                tenant=tenant,
                new_plan=plan("pro"),
                expected_amount=preview.amount.amount,
                proration_date=preview.proration_date,
            )
            results.append(result.outcome)
        except Exception as exc:
            results.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    # when they confirm at once
    with mock.patch.object(SandboxGateway, "charge_saved", slow):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # then the card was charged once and the plan switched once
    assert len(calls) == 1, results
    assert Payment.objects.for_tenant(tenant).count() == 1
    assert "upgraded" in results
    assert set(results) <= {"upgraded", "change_in_progress", "subscription_changed"}
    assert BillingEvent.objects.for_tenant(tenant).filter(kind="upgraded").count() == 1
