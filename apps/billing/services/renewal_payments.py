"""The Payment row of a subscription's next period: the one live attempt, and a new one.

Shared by the renewal charge (services/renewals.py) and the payment by hand of an overdue
period (services/dunning.py); renewals imports dunning, so the rows live here, below both.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import selectors
from apps.billing.models import Subscription
from apps.payments import gateways
from apps.payments.models import Payment, PaymentKind, PaymentStatus


def renewal_payment_live(subscription: Subscription) -> Payment | None:
    """The payment of the subscription's next period that is not over (failed or canceled
    ones allow another attempt): at most one, by the partial unique index."""
    return (
        Payment.objects.unscoped()
        .filter(subscription=subscription, period_start=subscription.current_period_end)
        .exclude(status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELED])
        .first()
    )


def renewal_payment_create(
    subscription: Subscription,
    *,
    provider: str,
    payment_method_id: str = "",
    request_id: str = "",
    actor=None,
) -> Payment:
    """The Payment for the subscription's next period (a charge on the saved card, or a
    payment by hand of an overdue period), written before any provider call."""
    plan = subscription.plan
    period = subscription.current_period_end
    payment_id = uuid.uuid4()
    return Payment.objects.create(
        id=payment_id,
        idempotency_key=f"fl-pay-{payment_id}",
        tenant_id=subscription.tenant_id,
        subscription=subscription,
        plan=plan,
        kind=PaymentKind.RENEWAL,
        description=_renewal_description(plan, period),
        amount=plan.price_amount,
        currency=plan.currency,
        provider=provider,
        is_test=gateways.get_gateway(provider).is_test,
        payment_method_id=payment_method_id,
        period_start=period,
        request_id=request_id,
        created_by=actor,
    )


def _renewal_description(plan, period_start: datetime) -> str:
    period_end = period_start + selectors.interval_delta(plan.interval)
    return _("Plan %(plan)s, %(start)s – %(end)s") % {
        "plan": plan.name,
        "start": f"{timezone.localtime(period_start):%d.%m.%Y}",
        "end": f"{timezone.localtime(period_end):%d.%m.%Y}",
    }
