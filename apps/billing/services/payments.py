"""Paying for plans: start a plan purchase, and open any billing payment's hosted page.

The generic steps (claim, hosted page, saved-card charge, status ladder, refunds, invoices)
are `apps.payments`; this module decides *what* is paid (a plan on sale, at its price, through
the company's provider) and gives the gateway billing's hints (the plan's provider price, the
method the company saved at that provider, our test-card page).
"""

from __future__ import annotations

import uuid

import structlog
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.billing.errors import PaymentDeclined
from apps.billing.models import LIVE_STATUSES, Plan, PlanStatus, Subscription
from apps.billing.selectors import billing_account_get, subscription_paid_live
from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.events import log_event
from apps.payments import gateways
from apps.payments.errors import ProviderUnavailable
from apps.payments.gateways import PaymentIntentResult
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services.payments import (
    payment_apply_result,
    payment_hosted_create,
)

logger = structlog.get_logger("fastlead.billing.payments")

__all__ = [
    "ProviderUnavailable",
    "payment_page_create",
    "payment_start",
    "provider_choose",
    "second_plan_refused",
]


def _check_sellable(tenant, plan: Plan) -> None:
    if plan.is_trial or plan.status != PlanStatus.ACTIVE:
        raise ValidationFailed(_("This plan is not on sale."), code="plan_not_sold")
    live = Subscription.objects.for_tenant(tenant).filter(plan=plan, status__in=LIVE_STATUSES)
    if live.exists():
        raise Conflict(_("The company is already subscribed to this plan."), "already_subscribed")
    paid = subscription_paid_live(tenant)
    if paid is not None:
        raise second_plan_refused(tenant, paid)


def second_plan_refused(tenant, paid: Subscription) -> Conflict:
    """A tenant holds one paid plan: another one is a plan change (its unused time is
    credited), never a second purchase that would end the first one unpaid-for."""
    return Conflict(
        _(
            "The company already pays for the plan “%(plan)s”. Change the plan instead: the "
            "unused time of the current one is credited. A plan in another currency can be "
            "bought once the current plan is canceled."
        )
        % {"plan": paid.plan.name},
        "plan_change_required",
        extra={
            "current_plan": paid.plan.code,
            "plan_change_url": f"/api/v1/tenants/{tenant.pk}/billing/change-plan/",
        },
    )


def provider_choose(plan: Plan, provider: str | None, tenant=None) -> str:
    """`provider`, else the company's RUB choice (BillingAccount.rub_provider) while it is
    usable, else the installation's default."""
    allowed = gateways.providers_for(plan.currency)
    if not allowed:
        raise ValidationFailed(
            _("Payments in %(currency)s are not available yet.") % {"currency": plan.currency},
            code="provider_not_available",
        )
    if provider is None and tenant is not None and plan.currency == "RUB":
        account = billing_account_get(tenant)
        if account is not None and account.rub_provider in allowed:
            return account.rub_provider
    if provider is None:
        return allowed[0]
    if provider not in allowed:
        raise ValidationFailed(
            _("This payment method is not available."),
            code="provider_not_available",
            fields={"provider": [_("Choose one of: %(p)s") % {"p": ", ".join(allowed)}]},
        )
    return provider


def payment_start(
    *, tenant, plan: Plan, actor=None, provider: str | None = None, return_url: str = ""
) -> Payment:
    """Start paying for `plan`: create the Payment, create it at the provider and return it
    with `confirmation_url` (the provider's page or the sandbox test-card page).

    Only active plans are sold; a plan the tenant already holds answers 409. A provider that
    is down marks the payment failed and raises `ProviderUnavailable` naming the others.
    """
    _check_sellable(tenant, plan)
    provider = provider_choose(plan, provider, tenant)
    gateway = gateways.get_gateway(provider)
    payment_id = uuid.uuid4()
    payment = Payment.objects.create(
        id=payment_id,
        idempotency_key=f"fl-pay-{payment_id}",
        tenant=tenant,
        plan=plan,
        description=_("Fast Lead, plan %(plan)s") % {"plan": plan.name},
        amount=plan.price_amount,
        currency=plan.currency,
        provider=provider,
        is_test=gateway.is_test,
        created_by=actor,
    )
    try:
        result = payment_page_create(payment, return_url)
    except ProviderError as exc:
        return _start_failed(payment, exc)
    if result.status != PaymentStatus.PENDING:
        payment_apply_result(payment, result)
        payment.refresh_from_db()
    logger.info("payment_started", tenant_id=str(tenant.pk), payment_id=str(payment.pk))
    return payment


def _saved_method(tenant, provider: str) -> str:
    """What the company saved at `provider` with an earlier payment (the newest)."""
    method = (
        Subscription.objects.for_tenant(tenant)
        .filter(provider=provider)
        .exclude(payment_method_id="")
        .order_by("-created_at")
        .values_list("payment_method_id", flat=True)
        .first()
    )
    return method or ""


def payment_page_create(payment: Payment, return_url: str = "") -> PaymentIntentResult:
    """Create a billing payment at its provider as a hosted page (see
    `apps.payments.services.payments.payment_hosted_create`). The payer comes back to
    `return_url` (default: the billing page). Raises `ProviderError`."""
    tenant = payment.tenant
    return_url = return_url or settings.SITE_URL + reverse(
        "billing:overview", kwargs={"tenant_slug": tenant.slug}
    )
    plan = Plan.objects.get(pk=payment.plan_id)
    return payment_hosted_create(
        payment,
        return_url=return_url,
        test_page_url=reverse(
            "billing:sandbox", kwargs={"tenant_slug": tenant.slug, "payment_id": payment.pk}
        ),
        price_ref=(plan.provider_price_ids or {}).get(payment.provider, ""),
        saved_method=_saved_method(tenant, payment.provider),
    )


def _start_failed(payment: Payment, exc: ProviderError):
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = exc.user_message[:300]
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    log_event(
        "payment_failed",
        tenant_id=str(payment.tenant_id),
        payment_id=str(payment.pk),
        provider=payment.provider,
        permanent=exc.permanent,
    )
    if exc.permanent:
        raise PaymentDeclined(exc.user_message)  # 402 with the card's / bank's reason
    others = [p for p in gateways.providers_for(payment.currency) if p != payment.provider]
    raise ProviderUnavailable(
        exc.user_message, extra={"provider": payment.provider, "alternatives": others}
    )
