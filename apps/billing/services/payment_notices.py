"""Billing e-mails about payments: "payment succeeded" (every successful payment, once) and
"renewal upcoming" (3 days before a period ends, once per period). "Payment failed" is sent
by dunning (`services/dunning.py`), the trial reminders by the trial lifecycle."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.billing.models import (
    BillingEvent,
    BillingEventKind,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.history import history_record
from apps.billing.services.notices import notice_enqueue
from apps.core.stored_text import stored_text
from apps.payments.models import Payment
from apps.tenants.scoping import tenant_scope

RENEWAL_NOTICE_DAYS = 3
# The history row that records "renewal reminder sent" for one period, and so claims it.
RENEWAL_UPCOMING = BillingEventKind.RENEWAL_UPCOMING


def payment_succeeded_notify(payment: Payment) -> None:
    """E-mail the administrators that `payment` went through, with its amount and, for a
    plan or a renewal, the period it pays for. Called once per payment, inside the
    transaction that moves it to succeeded (the status ladder makes that move happen once),
    and sent after commit."""
    params = {
        "amount": str(payment.money.to_decimal()),
        "currency": payment.currency,
        "plan_code": payment.plan.code,
        "description": payment.description,
        "is_test": payment.is_test,
    }
    subscription = (
        Subscription.objects.for_tenant(payment.tenant).filter(pk=payment.subscription_id).first()
        if payment.subscription_id
        else None
    )
    if subscription is not None and payment.kind in ("plan", "renewal"):
        params["period_start"] = subscription.current_period_start.isoformat()
        params["period_end"] = subscription.current_period_end.isoformat()
    notice_enqueue(payment.tenant, "payment_succeeded", **params)


def renewal_reminders_send(now: datetime | None = None) -> int:
    """E-mail administrators 3 days before a paid period ends and renews, once per period:
    the subscription row is locked and a history row for the period is the claim."""
    now = now or timezone.now()
    due = Subscription.objects.unscoped().filter(
        status=SubscriptionStatus.ACTIVE,
        cancel_at_period_end=False,
        plan__trial_days=0,
        plan__status__in=[PlanStatus.ACTIVE, PlanStatus.CLOSED],
        current_period_end__gt=now,
        current_period_end__lte=now + timedelta(days=RENEWAL_NOTICE_DAYS),
    )
    sent = 0
    for subscription in due.select_related("tenant"):
        with tenant_scope(subscription.tenant):
            sent += _remind(subscription.pk)
    return sent


@transaction.atomic
def _remind(subscription_id: int) -> int:
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "pending_plan", "tenant")
        .get(pk=subscription_id)
    )
    period_end = subscription.current_period_end.isoformat()
    claimed = BillingEvent.objects.filter(
        kind=RENEWAL_UPCOMING, data__subscription_id=subscription.pk, data__period_end=period_end
    )
    if subscription.status != SubscriptionStatus.ACTIVE or claimed.exists():
        return 0
    plan = subscription.pending_plan or subscription.plan
    history_record(
        subscription.tenant,
        RENEWAL_UPCOMING,
        message=stored_text(
            gettext_noop("Renewal reminder sent: %(plan)s renews on %(date)s."),
            plan=plan.name,
            date=subscription.current_period_end,
        ),
        money=plan.price,
        subscription_id=subscription.pk,
        period_end=period_end,
    )
    notice_enqueue(
        subscription.tenant,
        "renewal_upcoming",
        amount=str(plan.price.to_decimal()),
        currency=plan.currency,
        plan_code=plan.code,
        renews_at=period_end,
        has_card=bool(subscription.payment_method_id),
    )
    return 1
