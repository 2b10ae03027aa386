"""Recurring charges (seed 004): list due subscriptions and charge each on its saved card.

Idempotent twice over: a request id already seen returns its payment without calling the
provider; a period already charged (or being charged) is never charged again, whatever the
request id — a partial unique index allows one live charge per (subscription, period), the
subscription row is locked while deciding, and a short claim on the payment keeps a second
worker from calling the provider at the same time. A charge interrupted after the provider
call is retried with the same idempotency key, so the provider does not charge twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import gateways, selectors
from apps.billing.gateways import ProviderError
from apps.billing.models import (
    Payment,
    PaymentStatus,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services.payments import payment_apply_status
from apps.core.errors import Conflict, NotFound
from apps.tenants.scoping import tenant_scope

CLAIM_TTL = timedelta(minutes=2)  # longer than a provider call with its timeouts


@dataclass(frozen=True)
class ChargeOutcome:
    payment: Payment
    outcome: str  # charged | declined | pending | replayed | already_charged


def subscriptions_eligible(now=None):
    """Due renewals: active, plan active or closed (retired plans renew nothing), period over."""
    now = now or timezone.now()
    return (
        Subscription.objects.unscoped()
        .filter(
            status=SubscriptionStatus.ACTIVE,
            plan__status__in=[PlanStatus.ACTIVE, PlanStatus.CLOSED],
            plan__trial_days=0,
            current_period_end__lte=now,
        )
        .order_by("current_period_end", "pk")
    )


def subscription_charge(*, subscription_id: int, request_id: str) -> ChargeOutcome:
    """Charge one due subscription for its next period (see the module docstring)."""
    replay = Payment.objects.unscoped().filter(request_id=request_id).first()
    if replay is not None:
        return ChargeOutcome(replay, "replayed")
    try:
        payment = _charge_row(subscription_id, request_id)
    except IntegrityError:  # a concurrent call with the same request id won the insert
        return ChargeOutcome(Payment.objects.unscoped().get(request_id=request_id), "replayed")
    if payment.status == PaymentStatus.SUCCEEDED:
        return ChargeOutcome(payment, "already_charged")
    if not _claim(payment):
        return ChargeOutcome(payment, "pending")  # another worker is calling the provider
    return _charge_call(payment)


@transaction.atomic
def _charge_row(subscription_id: int, request_id: str) -> Payment:
    subscription = (
        Subscription.objects.unscoped().select_for_update().filter(pk=subscription_id).first()
    )
    if subscription is None:
        raise NotFound(_("No such subscription."))
    period = subscription.current_period_end
    live = (
        Payment.objects.unscoped()
        .filter(subscription=subscription, period_start=period)
        .exclude(status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELED])
        .first()
    )
    if live is not None:
        return live
    if not subscriptions_eligible().filter(pk=subscription.pk).exists():
        raise Conflict(_("The subscription is not due for a charge."), "not_eligible")
    plan = subscription.plan
    payment_id = uuid.uuid4()
    payment = Payment.objects.create(
        id=payment_id,
        idempotency_key=f"fl-pay-{payment_id}",
        tenant_id=subscription.tenant_id,
        subscription=subscription,
        plan=plan,
        amount=plan.price_amount,
        currency=plan.currency,
        provider=subscription.provider or gateways.SANDBOX,
        is_test=(subscription.provider or gateways.SANDBOX) == gateways.SANDBOX,
        payment_method_id=subscription.payment_method_id,
        period_start=period,
        request_id=request_id,
    )
    return payment


def _claim(payment: Payment) -> bool:
    now = timezone.now()
    claimed = (
        Payment.objects.unscoped()
        .filter(pk=payment.pk, status=PaymentStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL))
        .update(claimed_at=now)
    )
    return claimed == 1


def _charge_call(payment: Payment) -> ChargeOutcome:
    tenant = payment.tenant
    with tenant_scope(tenant):
        if not payment.payment_method_id:
            payment_apply_status(
                payment, PaymentStatus.FAILED, failure_reason=_("No saved card to charge.")
            )
            _mark_past_due(payment)
            return ChargeOutcome(_reload(payment), "declined")
        try:
            result = gateways.get_gateway(payment.provider).charge_saved(
                method_id=payment.payment_method_id,
                amount=payment.money,
                idempotency_key=payment.idempotency_key,
                description=_("Fast Lead, plan %(plan)s") % {"plan": payment.plan.name},
                metadata={"payment_id": str(payment.pk), "customer_key": str(tenant.pk)},
            )
        except ProviderError as exc:
            return _charge_failed(payment, exc)
        Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(
            provider_id=result.provider_id, raw=result.raw
        )
        payment_apply_status(payment, result.status, raw=result.raw)
        payment = _reload(payment)
        outcome = "charged" if payment.status == PaymentStatus.SUCCEEDED else "pending"
        return ChargeOutcome(payment, outcome)


def _charge_failed(payment: Payment, exc: ProviderError) -> ChargeOutcome:
    if not exc.permanent:
        # Unknown outcome (timeout, 5xx): stay pending and release the claim; the next call
        # retries with the same idempotency key.
        Payment.objects.for_tenant(payment.tenant).filter(pk=payment.pk).update(
            claimed_at=None, failure_reason=exc.user_message[:300]
        )
        return ChargeOutcome(_reload(payment), "pending")
    payment_apply_status(payment, PaymentStatus.FAILED, failure_reason=exc.user_message)
    _mark_past_due(payment)
    return ChargeOutcome(_reload(payment), "declined")


def _mark_past_due(payment: Payment) -> None:
    """Dunning (retries, e-mails, grace, block) is not built yet: the subscription is only
    marked past due, which keeps it out of the eligible list."""
    Subscription.objects.for_tenant(payment.tenant).filter(
        pk=payment.subscription_id, status=SubscriptionStatus.ACTIVE
    ).update(status=SubscriptionStatus.PAST_DUE, updated_at=timezone.now())


def subscription_renew(payment: Payment) -> None:
    """A renewal succeeded: move the subscription to the period it paid for."""
    subscription = (
        Subscription.objects.for_tenant(payment.tenant)
        .select_for_update()
        .select_related("plan")
        .get(pk=payment.subscription_id)
    )
    if payment.period_start is None or subscription.current_period_end != payment.period_start:
        return  # already moved (a replay)
    subscription.current_period_start = payment.period_start
    subscription.current_period_end = payment.period_start + selectors.interval_delta(
        subscription.plan.interval
    )
    if subscription.status == SubscriptionStatus.PAST_DUE:
        subscription.status = SubscriptionStatus.ACTIVE
    subscription.save(
        update_fields=["current_period_start", "current_period_end", "status", "updated_at"]
    )


def _reload(payment: Payment) -> Payment:
    return Payment.objects.unscoped().select_related("tenant", "plan").get(pk=payment.pk)
