"""Money invariants as a property test (issue 12, "Make the proofs permanent"): for any
sequence of plan purchases (sandbox payments settled on the test page or by provider
notifications, duplicated and out of order), plan changes, renewals, dunning, staff refunds
and paid actions, after every step:

* paid − refunded = consumed + credit, per currency, to the minor unit (`money_model`);
* the credit balance is what the rules say, and never negative;
* never two live paid subscriptions for the tenant, and the live one is the expected plan;
* no paid subscription ends before its period is over without its unused time credited or
  refunded;
* no refund is left pending and no payment needs review.

Hypothesis drives the real services (no mocks) with a derandomized, bounded search, so CI
runs the same examples every time. The figures of a run are printed (`pytest -s`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from apps.billing import services
from apps.billing.errors import PaymentDeclined, PaymentMethodRequired
from apps.billing.models import DowngradePolicy, Plan, Subscription, SubscriptionStatus
from apps.billing.selectors import interval_delta
from apps.billing.services.payments import payment_start
from apps.billing.services.plan_changes import plan_change_confirm, plan_change_preview
from apps.billing.services.usage_charges import (
    enrichment_unit_price,
    usage_charge_authorize,
    usage_charge_settle,
)
from apps.billing.tests.money_model import ledger, live_paid, model_for, unused_time_lost
from apps.core.errors import Conflict
from apps.core.money import Money
from apps.payments.gateways import NotificationEvent
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.models import Payment, PaymentKind, PaymentStatus, Refund
from apps.payments.services.notifications import payment_notification_process
from apps.payments.services.payments import payment_sandbox_complete
from apps.payments.services.refunds import payment_refund
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

PLANS = ("start", "pro", "business")
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RANK = {"pending": 0, "failed": 2, "succeeded": 3}
STATS: Counter[str] = Counter()


def _settled(fn):
    """Run a step as a request would: its on-commit callbacks (refund tasks) run after it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn()


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.model = None
        self.savepoint = transaction.savepoint()
        self.clock = time_machine.travel(START, tick=False)
        self.coordinates = self.clock.start()
        self.plan_payments: list[Payment] = []
        self.events = 0
        STATS["examples"] += 1

    def teardown(self):
        self.clock.stop()
        transaction.savepoint_rollback(self.savepoint)

    @initialize(
        immediate_downgrades=st.booleans(),
        first_plan=st.sampled_from(["pro", "start", "business", None]),
        declining_card=st.sampled_from([False, False, False, True]),  # mostly a good card
    )
    def start(self, immediate_downgrades, first_plan=None, declining_card=False):
        policy = DowngradePolicy.IMMEDIATE_CREDIT if immediate_downgrades else "next_period"
        Plan.objects.filter(code__in=("start", "pro")).update(downgrade_policy=policy)
        self.tenant = TenantFactory()
        services.subscription_start_trial(tenant=self.tenant)
        self.coordinates.shift(timedelta(hours=1))  # the frozen clock: not the same instant
        self.model = model_for({"start", "pro"} if immediate_downgrades else set())
        if first_plan is not None:  # most examples start from a paid plan
            outcome = "approve_declining_card" if declining_card else "approve"
            self.buy_and_pay(first_plan, outcome, "test_page")

    # --- purchases and their settlement ----------------------------------------------------

    @rule(code=st.sampled_from(PLANS))
    def buy(self, code):
        STATS["step buy"] += 1
        plan = Plan.objects.get(code=code)
        try:
            payment = _settled(lambda: payment_start(tenant=self.tenant, plan=plan))
        except Conflict as exc:
            assert self.model.sub is not None, f"refused without a paid plan: {exc.code}"
            return
        assert self.model.sub is None, "a second paid plan was put on sale"
        self.model.payments[str(payment.pk)] = "pending"
        self.plan_payments.append(payment)

    @rule(
        code=st.sampled_from(PLANS),
        outcome=st.sampled_from(["approve", "approve_declining_card"]),
        channel=st.sampled_from(["test_page", "notification"]),
    )
    def buy_and_pay(self, code, outcome, channel):
        """The common path: buy and pay at once (refused while a paid plan is live)."""
        self.buy(code)
        if self.plan_payments and self.model.payments[str(self.plan_payments[-1].pk)] == "pending":
            self.settle(len(self.plan_payments) - 1, outcome, channel, 1, False)

    @precondition(lambda self: self.plan_payments)
    @rule(
        pick=st.integers(0, 10),
        outcome=st.sampled_from(["approve", "approve_declining_card", "decline"]),
        channel=st.sampled_from(["test_page", "notification"]),
        deliveries=st.integers(1, 3),
        replay=st.booleans(),
    )
    def settle(self, pick, outcome, channel, deliveries, replay):
        """The payer approves or declines; the answer arrives once or several times, as the
        same event (a replay) or as new ones, and in any order with the other payments."""
        STATS["step settle"] += 1
        payment = self.plan_payments[pick % len(self.plan_payments)]
        approve = outcome != "decline"
        declining = outcome == "approve_declining_card"
        event_id = f"evt-{uuid.uuid4().hex}"
        for _n in range(deliveries):
            STATS["deliveries"] += 1
            if channel == "test_page":
                _settled(
                    lambda: payment_sandbox_complete(
                        payment=payment, approve=approve, decline_later=declining
                    )
                )
                continue
            self.events += 1
            event = NotificationEvent(
                provider="sandbox",
                event_id=event_id if replay else f"evt-{uuid.uuid4().hex}",
                provider_payment_id=payment.provider_id,
                status=PaymentStatus.SUCCEEDED if approve else PaymentStatus.FAILED,
                payment_method_id=(
                    SandboxGateway.new_method_id(decline_later=declining) if approve else ""
                ),
                amount=payment.money if approve else None,
            )
            _settled(lambda event=event: payment_notification_process(event))
        self._model_settle(payment, approve, declining)

    def _model_settle(self, payment, approve, declining):
        before = self.model.payments[str(payment.pk)]
        after = "succeeded" if approve else "failed"
        if RANK[after] <= RANK[before]:
            return  # a replay or an out-of-order answer changes nothing
        self.model.payments[str(payment.pk)] = after
        if approve:
            activated = self.model.purchase_succeeds(payment.plan.code, timezone.now(), declining)
            STATS["activations" if activated else "second payments refunded"] += 1

    @rule(pick=st.integers(0, 50), approve=st.booleans())
    def notification_replay(self, pick, approve):
        """A late or repeated notification of any settled payment (renewals, upgrades, paid
        actions, refunded ones): it changes nothing."""
        settled = list(
            Payment.objects.for_tenant(self.tenant)
            .filter(status__in=(PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED))
            .order_by("created_at", "pk")
        )
        if not settled:
            return
        STATS["step notification_replay"] += 1
        payment = settled[pick % len(settled)]
        event = NotificationEvent(
            provider="sandbox",
            event_id=f"evt-{uuid.uuid4().hex}",
            provider_payment_id=payment.provider_id,
            status=PaymentStatus.SUCCEEDED if approve else PaymentStatus.FAILED,
            payment_method_id=SandboxGateway.new_method_id() if approve else "",
            amount=payment.money if approve else None,
        )
        STATS["deliveries"] += 1
        _settled(lambda: payment_notification_process(event))

    # --- plan changes -----------------------------------------------------------------------

    @precondition(lambda self: self.model is not None and self.model.sub is not None)
    @rule(codes=st.lists(st.sampled_from(PLANS), min_size=1, max_size=4))
    def change_plans(self, codes):
        """One change, or a burst of them at the same instant (one quote's second)."""
        for code in codes:
            self.change_plan(code)

    def change_plan(self, code):
        STATS["step change_plan"] += 1
        sub, new = self.model.sub, Plan.objects.get(code=code)
        changeable = (
            sub is not None
            and sub.status == "active"
            and code != sub.plan
            and code != sub.pending_plan
        )
        try:
            preview = plan_change_preview(self.tenant, new)
        except Conflict as exc:
            assert not changeable, f"plan change refused: {exc.code}"
            return
        assert changeable, "a plan change was priced that the rules refuse"
        action, amount = self.model.change(code, preview.proration_date)
        assert preview.amount.amount == amount, (action, preview.amount, amount)
        from_credit = min(self.model.credit, amount) if action == "upgrade" else 0
        try:
            _settled(
                lambda: plan_change_confirm(
                    tenant=self.tenant,
                    new_plan=new,
                    expected_amount=amount,
                    proration_date=preview.proration_date,
                )
            )
        except PaymentDeclined:
            assert action == "upgrade" and sub.card_declines and amount > from_credit
            STATS["upgrades declined"] += 1
            return
        assert not (action == "upgrade" and sub.card_declines and amount > from_credit)
        STATS[action] += 1
        if action == "downgrade_later":
            sub.pending_plan = code
            return
        sub.plan, sub.pending_plan = code, None
        if action == "upgrade":
            self.model.credit -= from_credit
            self.model.consumed += amount
        else:
            self.model.credit += amount
            self.model.consumed -= amount

    # --- time, renewals, dunning ------------------------------------------------------------

    @rule(hours=st.integers(1, 24 * 20))
    def wait(self, hours):
        STATS["step wait"] += 1
        target = timezone.now() + timedelta(hours=hours)
        sub = self.model.sub
        if sub is not None and sub.status == "active":
            target = min(target, sub.end - timedelta(seconds=1))
        if target > timezone.now():
            self.coordinates.move_to(target)

    @precondition(lambda self: self.model is not None and self.model.sub is not None)
    @rule()
    def renew(self):
        sub = self.model.sub
        if sub is None or sub.status != "active":
            return
        STATS["step renew"] += 1
        self.coordinates.move_to(sub.end)
        _settled(lambda: services.renewals_run(timezone.now()))
        if sub.pending_plan:
            sub.plan, sub.pending_plan = sub.pending_plan, None
        if sub.card_declines:
            sub.status = "past_due"
            STATS["renewals declined"] += 1
            return
        self.model.consumed += self.model.prices[sub.plan]
        sub.start, sub.end = sub.end, sub.end + interval_delta("month")
        STATS["renewals charged"] += 1

    @precondition(lambda self: self.model is not None and self.model.sub is not None)
    @rule()
    def lapse(self):
        """Dunning runs its course on a card that always declines: the subscription expires
        with the unpaid period (no money moves)."""
        sub = self.model.sub
        if sub is None or sub.status != "past_due":
            return
        STATS["step lapse"] += 1
        current = Subscription.objects.for_tenant(self.tenant).get(status="past_due")
        for _attempt in range(6):
            current.refresh_from_db()
            if current.status != SubscriptionStatus.PAST_DUE:
                break
            self.coordinates.move_to(max(current.next_retry_at, timezone.now()))
            _settled(lambda: services.renewals_run(timezone.now()))
        assert current.status == SubscriptionStatus.EXPIRED
        self.model.sub = None

    # --- refunds and paid actions -----------------------------------------------------------

    @rule(pick=st.integers(0, 50), percent=st.integers(1, 100))
    def staff_refund(self, pick, percent):
        payments = list(
            Payment.objects.for_tenant(self.tenant)
            .filter(status=PaymentStatus.SUCCEEDED)
            .exclude(provider_id="")
            .order_by("created_at", "pk")
        )
        if not payments:
            return
        STATS["step staff_refund"] += 1
        payment = payments[pick % len(payments)]
        amount = max(1, (payment.amount - payment.refunded_amount) * percent // 100)
        _settled(
            lambda: payment_refund(
                payment=payment,
                money=Money(amount, payment.currency),
                reason="goodwill",
                idempotency_key=f"staff-{uuid.uuid4().hex}",
            )
        )
        self.model.consumed -= amount  # money given back for what was delivered

    @rule(quantity=st.integers(1, 5), failed=st.integers(0, 5))
    def paid_action(self, quantity, failed):
        STATS["step paid_action"] += 1
        delivered = max(0, quantity - failed)
        unit = enrichment_unit_price(self.tenant).amount
        assert unit == self.model.unit_price()
        amount, sub = quantity * unit, self.model.sub
        expected = (
            "credit" if self.model.credit >= amount else "card" if sub is not None else "no_method"
        )
        try:
            charge = _settled(
                lambda: usage_charge_authorize(
                    tenant=self.tenant,
                    kind="enrichment",
                    reference=f"run:{uuid.uuid4().hex[:8]}",
                    quantity=quantity,
                    unit_amount=unit,
                    currency="RUB",
                    idempotency_key=f"run-{uuid.uuid4().hex}",
                    description="AI enrichment",
                )
            )
        except PaymentMethodRequired:
            assert expected == "no_method"
            return
        except PaymentDeclined:
            assert expected == "card" and sub.card_declines
            return
        assert charge.mode == expected, (charge.mode, expected)
        _settled(lambda: usage_charge_settle(charge, delivered=delivered))
        if expected == "credit":
            self.model.credit += (quantity - delivered) * unit - amount
        self.model.consumed += delivered * unit
        STATS[f"paid actions by {expected}"] += 1

    # --- the invariants ---------------------------------------------------------------------

    @invariant()
    def money_is_conserved(self):
        if self.model is None:
            return
        STATS["invariant checks"] += 1
        books = ledger(self.tenant, "RUB")
        assert books["credit"] >= 0, books
        assert books["credit"] == self.model.credit, (books, self.model.credit)
        assert books["paid"] - books["refunded"] == books["credit"] + self.model.consumed, (
            books,
            self.model.consumed,
        )
        other = Payment.objects.for_tenant(self.tenant).exclude(currency="RUB")
        assert not other.filter(status__in=("succeeded", "refunded")).exists()

    @invariant()
    def one_live_paid_subscription(self):
        if self.model is None:
            return
        live = live_paid(self.tenant)
        assert len(live) <= 1, [s.plan.code for s in live]
        expected = self.model.sub
        assert [s.plan.code for s in live] == ([expected.plan] if expected else [])
        if expected is not None:
            assert live[0].status == expected.status
            assert (live[0].pending_plan.code if live[0].pending_plan else None) == (
                expected.pending_plan
            )

    @invariant()
    def nothing_lost_or_left_open(self):
        if self.model is None:
            return
        assert unused_time_lost(self.tenant) == []
        assert not Refund.objects.for_tenant(self.tenant).filter(status="pending").exists()
        needs_review = Payment.objects.for_tenant(self.tenant).filter(status="needs_review")
        assert not needs_review.exists()
        kinds = Payment.objects.for_tenant(self.tenant).values_list("kind", flat=True)
        assert set(kinds) <= {
            PaymentKind.PLAN,
            PaymentKind.RENEWAL,
            PaymentKind.PRORATION,
            PaymentKind.USAGE,
        }


def test_money_invariants_hold_for_any_sequence(english_ui):
    STATS.clear()
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            derandomize=True,
            database=None,
            deadline=None,
            print_blob=False,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.function_scoped_fixture,
                HealthCheck.filter_too_much,
            ],
        ),
    )
    print("\nmoney invariants:", dict(sorted(STATS.items())))
    assert STATS["invariant checks"] > 0
