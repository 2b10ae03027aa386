"""Demo billing (seed_demo): the demo company on an active Pro subscription, paid through the
sandbox with a saved test card, so that AI enrichment (charged to that card) and upgrades are
clickable offline; the payment's invoice comes with it. Everything goes through the services,
and a second run changes nothing."""

from __future__ import annotations

from apps.billing import selectors, services
from apps.billing.models import LIVE_STATUSES, Subscription
from apps.billing.services.subscription_actions import subscription_cancel
from apps.payments import gateways
from apps.payments.services.invoices import invoice_for_payment
from apps.payments.services.payments import payment_sandbox_complete

DEMO_PLAN = "pro"


def seed_demo_billing(tenant, *, admin=None) -> Subscription:
    """Put `tenant` on Pro if it is not on it yet (idempotent). With the sandbox as the RUB
    provider the plan is bought like a user would: a sandbox payment approved on the test
    card, which saves the card on the subscription and issues a paid invoice. An
    installation with real provider keys never makes test payments: staff assign the plan
    without one instead."""
    plan = selectors.plan_get(DEMO_PLAN)
    live = (
        Subscription.objects.for_tenant(tenant)
        .filter(plan=plan, status__in=LIVE_STATUSES)
        .order_by("-created_at")
        .first()
    )
    if live is not None:
        return live
    if gateways.SANDBOX not in gateways.providers_for(plan.currency):
        return services.subscription_activate(tenant=tenant, plan=plan, actor=admin)
    if selectors.subscription_paid_live(tenant) is not None:
        # An older demo on another paid plan: one paid plan at a time, so end it first (its
        # unused time is credited, as for any company that cancels now).
        subscription_cancel(tenant=tenant, actor=admin, at_period_end=False)
    payment = services.payment_start(
        tenant=tenant, plan=plan, actor=admin, provider=gateways.SANDBOX
    )
    payment = payment_sandbox_complete(payment=payment, approve=True)
    invoice_for_payment(payment)  # issued by the success hook already; idempotent
    return Subscription.objects.for_tenant(tenant).get(pk=payment.subscription_id)
