"""Several plan changes priced at one instant (one quote, or within the same second): each
is a change of its own, with its own keys (found by the money property test)."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from apps.billing.models import DowngradePolicy, Plan
from apps.billing.services.credits import credit_balance
from apps.billing.services.plan_changes import plan_change_confirm, plan_change_preview
from apps.billing.tests.helpers import plan, subscribe
from apps.core.money import Money
from apps.payments.models import Payment

pytestmark = pytest.mark.django_db

PERIOD_START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD_END = PERIOD_START + timedelta(days=30)
AT = PERIOD_START + timedelta(days=10)
CREDIT = 333333  # (9,990 - 4,990) RUB × 20/30 days, in kopecks


def _change(tenant, code: str):
    preview = plan_change_preview(tenant, plan(code))
    return plan_change_confirm(
        tenant=tenant,
        new_plan=plan(code),
        expected_amount=preview.amount.amount,
        proration_date=preview.proration_date,
    )


def test_down_up_down_up_at_one_instant_credits_and_spends_each_time(tenant):
    Plan.objects.filter(code="start").update(downgrade_policy=DowngradePolicy.IMMEDIATE_CREDIT)
    subscription = subscribe(tenant, "pro", period_start=PERIOD_START, period_end=PERIOD_END)
    subscription.provider, subscription.payment_method_id = "sandbox", "sandbox_card_ok"
    subscription.save()
    balances = []
    with mock.patch("django.utils.timezone.now", return_value=AT):
        for code in ("start", "pro", "start", "pro"):
            result = _change(tenant, code)
            subscription.refresh_from_db()
            assert subscription.plan.code == code, result.outcome
            balances.append(credit_balance(tenant, "RUB").amount)

    # Before: the second downgrade's credit was dropped (its key was taken) and the second
    # upgrade was free (its credit spend "replayed" the first one).
    assert balances == [CREDIT, 0, CREDIT, 0]
    assert not Payment.objects.for_tenant(tenant).exists()  # the credit paid every upgrade


def test_a_card_upgrade_undone_and_redone_on_one_quote_is_charged_again(tenant):
    Plan.objects.filter(code="start").update(downgrade_policy=DowngradePolicy.IMMEDIATE_CREDIT)
    subscription = subscribe(tenant, "start", period_start=PERIOD_START, period_end=PERIOD_END)
    subscription.provider, subscription.payment_method_id = "sandbox", "sandbox_card_ok"
    subscription.save()
    with mock.patch("django.utils.timezone.now", return_value=AT):
        first = _change(tenant, "pro")  # charged on the card
        _change(tenant, "start")  # its unused part back as credit
        again = _change(tenant, "pro")  # the credit pays it

    subscription.refresh_from_db()
    assert subscription.plan.code == "pro"
    assert first.payment.amount == CREDIT and not again.replayed
    assert credit_balance(tenant, "RUB") == Money(0, "RUB")
