"""Plan changes, applying them: the lock, the switch, its history row, and the downgrades
(at the next period, or now with the unused part as credit). Upgrades are paid first
(`plan_change_payments`)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing.models import (
    BillingEventKind,
    CreditEntry,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.plan_limits import subscription_changed
from apps.billing.services.credits import credit_add
from apps.billing.services.history import history_record
from apps.billing.services.plan_change_preview import PlanChangePreview, PlanChangeResult
from apps.billing.services.subscriptions import _account_locked
from apps.billing.services.usage import meter_ensure
from apps.core.errors import Conflict
from apps.core.events import log_event
from apps.core.money import Money
from apps.core.stored_text import stored_text
from apps.payments.models import Payment


def change_key(subscription: Subscription, plan: Plan, at: datetime) -> str:
    return f"fl-prorate-{subscription.pk}-{plan.pk}-{int(at.timestamp())}"


def _key_used(tenant, key: str) -> bool:
    keys = [f"{key}-credit", f"{key}-credit-in"]
    return (
        Payment.objects.for_tenant(tenant).filter(idempotency_key=key).exists()
        or CreditEntry.objects.for_tenant(tenant).filter(idempotency_key__in=keys).exists()
    )


def change_keys(tenant, subscription: Subscription, plan: Plan, at: datetime):
    """(the newest key used for a change to `plan` priced at `at`, or None; the next free
    one). One quote can be confirmed for several changes — an upgrade, a downgrade and the
    same upgrade again within the same second or the quote's lifetime — so each change after
    the first gets its own key (`<key>-2`, `-3`…): reusing the first would find its credit
    entry and skip the new spend (a free upgrade) or the new credit (a lost downgrade)."""
    base = change_key(subscription, plan, at)
    latest, key, n = None, base, 1
    while _key_used(tenant, key):
        latest, n = key, n + 1
        key = f"{base}-{n}"
    return latest, key


def subscription_locked(tenant, subscription: Subscription) -> Subscription:
    """The subscription, read while the company's billing account row is locked: plan
    changes of one company queue up. The subscription row itself is not locked here: the
    Payment insert below may wait on a payment being applied, and that transaction locks
    the subscription (payment first, then subscription) — locking it here would deadlock."""
    _account_locked(tenant)
    return Subscription.objects.for_tenant(tenant).select_related("plan").get(pk=subscription.pk)


def ensure_unchanged(locked: Subscription, preview: PlanChangePreview) -> None:
    """Between the preview and the lock, another request may have changed the plan."""
    expected = preview.subscription
    if (
        locked.plan_id != expected.plan_id
        or locked.status != SubscriptionStatus.ACTIVE
        or locked.current_period_end != expected.current_period_end
    ):
        raise Conflict(
            _("The subscription changed meanwhile: check the new price and confirm again."),
            "subscription_changed",
        )


def after_change(tenant) -> None:
    subscription_changed(tenant)
    meter_ensure(tenant)


@transaction.atomic
def downgrade_schedule(tenant, preview: PlanChangePreview, actor) -> PlanChangeResult:
    subscription = subscription_locked(tenant, preview.subscription)
    ensure_unchanged(subscription, preview)
    subscription.pending_plan = preview.new_plan
    subscription.save(update_fields=["pending_plan", "updated_at"])
    history_record(
        tenant,
        BillingEventKind.DOWNGRADE_SCHEDULED,
        message=stored_text(
            gettext_noop("%(old)s → %(new)s from %(date)s"),
            old=preview.current_plan.name,
            new=preview.new_plan.name,
            date=subscription.current_period_end,
        ),
        actor=actor,
        plan=preview.new_plan.code,
        from_plan=preview.current_plan.code,
        effective_at=subscription.current_period_end.isoformat(),
    )
    return PlanChangeResult("downgrade_scheduled", subscription, preview=preview)


@transaction.atomic
def downgrade_now(tenant, preview: PlanChangePreview, actor) -> PlanChangeResult:
    subscription = subscription_locked(tenant, preview.subscription)
    ensure_unchanged(subscription, preview)
    plan_switch(subscription, preview.new_plan)
    if preview.credit_added.amount > 0:
        # Under the lock and unchanged since the preview: a key used before belongs to an
        # earlier change at this instant that was undone since, so this one takes a fresh key.
        _used, fresh = change_keys(tenant, subscription, preview.new_plan, preview.proration_date)
        key = f"{fresh}-credit-in"
        credit_add(
            tenant=tenant,
            money=preview.credit_added,
            reason=_("Unused part of %(plan)s") % {"plan": preview.current_plan.name},
            idempotency_key=key,
            reference=f"subscription:{subscription.pk}",
        )
        history_record(
            tenant,
            BillingEventKind.CREDIT_ADDED,
            message=stored_text(
                gettext_noop("Prorated credit for the downgrade to %(plan)s"),
                plan=preview.new_plan.name,
            ),
            money=preview.credit_added,
            actor=actor,
        )
    switch_record(tenant, BillingEventKind.DOWNGRADED, preview, actor, preview.credit_added)
    after_change(tenant)
    return PlanChangeResult("downgraded", subscription, preview=preview)


def plan_switch(subscription: Subscription, plan: Plan) -> None:
    subscription.plan = plan
    subscription.pending_plan = None
    subscription.save(update_fields=["plan", "pending_plan", "updated_at"])
    log_event(
        "subscription_changed",
        tenant_id=str(subscription.tenant_id),
        subscription_id=subscription.pk,
        plan=plan.code,
    )


def switch_record(tenant, kind: str, preview: PlanChangePreview, actor, money: Money) -> None:
    history_record(
        tenant,
        kind,
        message=stored_text(
            gettext_noop("%(old)s → %(new)s"),
            old=preview.current_plan.name,
            new=preview.new_plan.name,
        ),
        money=money,
        actor=actor,
        plan=preview.new_plan.code,
        from_plan=preview.current_plan.code,
        proration_date=preview.proration_date.isoformat(),
        credit_applied=preview.credit_applied.amount,
    )


def subscription_refresh(tenant, subscription: Subscription) -> Subscription:
    return Subscription.objects.for_tenant(tenant).select_related("plan").get(pk=subscription.pk)
