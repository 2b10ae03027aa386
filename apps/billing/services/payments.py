"""Payments: start one through a gateway, apply provider statuses, process notifications.

The Payment row is written (and committed) before the provider is called: its id is the
idempotency key, so a retry after a timeout or a crash reaches the same provider payment.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import gateways
from apps.billing.gateways import NotificationEvent, ProviderError
from apps.billing.models import (
    LIVE_STATUSES,
    PAYMENT_STATUS_RANK,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Plan,
    PlanStatus,
    Subscription,
)
from apps.billing.services.subscriptions import subscription_activate
from apps.core.errors import ApplicationError, Conflict, ValidationFailed
from apps.core.events import log_event
from apps.tenants.scoping import tenant_scope

logger = structlog.get_logger("fastlead.billing.payments")


class ProviderUnavailable(ApplicationError):
    """The chosen provider is down; `extra["alternatives"]` names the ones to offer instead."""

    status_code = 503
    default_code = "provider_unavailable"


def _check_sellable(tenant, plan: Plan) -> None:
    if plan.is_trial or plan.status != PlanStatus.ACTIVE:
        raise ValidationFailed(_("This plan is not on sale."), code="plan_not_sold")
    live = Subscription.objects.for_tenant(tenant).filter(plan=plan, status__in=LIVE_STATUSES)
    if live.exists():
        raise Conflict(_("The company is already subscribed to this plan."), "already_subscribed")


def _choose_provider(plan: Plan, provider: str | None, tenant=None) -> str:
    """`provider`, else the company's RUB choice (BillingAccount.rub_provider) while it is
    usable, else the installation's default."""
    allowed = gateways.providers_for(plan.currency)
    if not allowed:
        raise ValidationFailed(
            _("Payments in %(currency)s are not available yet.") % {"currency": plan.currency},
            code="provider_not_available",
        )
    if provider is None and tenant is not None and plan.currency == "RUB":
        from apps.billing.selectors import billing_account_get

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
    provider = _choose_provider(plan, provider, tenant)
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
        result = payment_hosted_create(payment, return_url)
    except ProviderError as exc:
        return _start_failed(payment, exc, plan)
    if result.status != PaymentStatus.PENDING:
        payment_apply_status(payment, result.status, raw=result.raw)
        payment.refresh_from_db()
    logger.info("payment_started", tenant_id=str(tenant.pk), payment_id=str(payment.pk))
    return payment


CLAIM_TTL = timedelta(minutes=2)  # longer than one provider call with its timeouts


def payment_claim(payment: Payment) -> bool:
    """Claim a pending payment for one provider call: only one worker calls the provider for
    a payment at a time (a claim older than CLAIM_TTL, left by a dead worker, expires)."""
    now = timezone.now()
    claimed = (
        Payment.objects.unscoped()
        .filter(pk=payment.pk, status=PaymentStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL))
        .update(claimed_at=now)
    )
    return claimed == 1


def payment_hosted_create(payment: Payment, return_url: str = ""):
    """Create `payment` at its provider as a hosted page (the provider's form or the sandbox
    test-card page) and keep the provider's id and the page's URL on the row. The payer comes
    back to `return_url` (default: the billing page) naming the payment, so the page can ask
    for its status. Raises `ProviderError`; returns the provider's result."""
    tenant = payment.tenant
    return_url = return_url or settings.SITE_URL + reverse(
        "billing:overview", kwargs={"tenant_slug": tenant.slug}
    )
    separator = "&" if "?" in return_url else "?"
    result = gateways.get_gateway(payment.provider).create_payment(
        amount=payment.money,
        description=payment.description,
        idempotency_key=payment.idempotency_key,
        return_url=f"{return_url}{separator}payment={payment.pk}",
        save_method=True,
        metadata={
            "payment_id": str(payment.pk),
            "tenant_slug": tenant.slug,
            "customer_key": str(tenant.pk),
        },
    )
    payment.provider_id = result.provider_id
    payment.confirmation_url = result.confirmation_url or ""
    payment.raw = result.raw
    payment.save(update_fields=["provider_id", "confirmation_url", "raw", "updated_at"])
    return result


def _start_failed(payment: Payment, exc: ProviderError, plan: Plan):
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
        from apps.billing.errors import PaymentDeclined

        raise PaymentDeclined(exc.user_message)  # 402 with the card's / bank's reason
    others = [p for p in gateways.providers_for(plan.currency) if p != payment.provider]
    raise ProviderUnavailable(
        exc.user_message, extra={"provider": payment.provider, "alternatives": others}
    )


@transaction.atomic
def payment_apply_status(
    payment: Payment,
    status: str,
    *,
    raw: dict | None = None,
    payment_method_id: str = "",
    failure_reason: str = "",
) -> Payment:
    """Move a payment to `status` if that is a step up the ladder; otherwise do nothing
    (replays and out-of-order events). Success activates the plan for a new period and keeps
    the saved payment method on the subscription for renewals."""
    payment = Payment.objects.for_tenant(payment.tenant).select_for_update().get(pk=payment.pk)
    if PAYMENT_STATUS_RANK[status] <= PAYMENT_STATUS_RANK[payment.status]:
        if status == payment.status == PaymentStatus.SUCCEEDED and payment_method_id:
            _keep_method(payment, payment_method_id)  # the card came after the status
        return payment
    payment.status = status
    payment.raw = raw if raw is not None else payment.raw
    payment.payment_method_id = payment_method_id or payment.payment_method_id
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        payment.failure_reason = (failure_reason or _("The payment was not completed."))[:300]
    payment.save()
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and payment.kind == "proration":
        from apps.billing.services.plan_changes import plan_change_payment_failed

        plan_change_payment_failed(payment)  # the plan stays; its credit part goes back
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and payment.kind == "renewal":
        from apps.billing.services.dunning import dunning_charge_failed

        dunning_charge_failed(payment)  # past due, retries, "payment failed" e-mails
    if status == PaymentStatus.SUCCEEDED:
        duplicate = _on_success(payment)
        # Every successful payment, whatever `_on_success` did with it, gets its invoice in
        # this transaction (after it, so the invoice sees the period the payment opened).
        from apps.billing.services.invoices import invoice_for_payment

        invoice_for_payment(payment)
        from apps.billing.services.payment_notices import payment_succeeded_notify

        if not duplicate:  # a double payment is refunded, not celebrated
            payment_succeeded_notify(payment)  # one e-mail per payment: this move happens once
    elif status == PaymentStatus.FAILED:
        log_event(
            "payment_failed",
            tenant_id=str(payment.tenant_id),
            payment_id=str(payment.pk),
            provider=payment.provider,
        )
    return payment


def _keep_method(payment: Payment, method_id: str) -> None:
    """A success seen first without the saved card (T-Bank's GetState on the payer's return
    has no RebillId; its notification does): keep the card for renewals once it arrives."""
    if payment.payment_method_id:
        return
    payment.payment_method_id = method_id
    payment.save(update_fields=["payment_method_id", "updated_at"])
    if payment.subscription_id is not None:
        Subscription.objects.for_tenant(payment.tenant).filter(
            pk=payment.subscription_id, payment_method_id=""
        ).update(payment_method_id=method_id)


def _on_success(payment: Payment) -> bool:
    """Act on a success; True if the payment duplicates one already made (to be refunded)."""
    log_event(
        "payment_succeeded",
        tenant_id=str(payment.tenant_id),
        payment_id=str(payment.pk),
        provider=payment.provider,
        amount=payment.amount,
        currency=payment.currency,
    )
    if payment.kind == "usage":
        return False  # a paid action (usage_charges.py): nothing to activate or renew
    if payment.kind == "proration":
        from apps.billing.services.plan_changes import plan_change_paid

        plan_change_paid(payment)  # an upgrade: switch the plan in place (same period)
        return False
    if payment.subscription_id is not None:
        from apps.billing.services.renewals import subscription_renew

        subscription_renew(payment)  # a renewal: move to the period it paid for
        return False
    try:
        with transaction.atomic():
            subscription = subscription_activate(
                tenant=payment.tenant, plan=payment.plan, actor=payment.created_by
            )
    except ApplicationError as exc:
        # Paid twice for the plan it holds (two tabs), or the plan was retired meanwhile:
        # the payment keeps its success and is refunded in full once this commits.
        _refund_duplicate_later(payment, exc.code)
        return True
    subscription.provider = payment.provider
    subscription.payment_method_id = payment.payment_method_id
    subscription.save(update_fields=["provider", "payment_method_id", "updated_at"])
    payment.subscription = subscription
    payment.save(update_fields=["subscription", "updated_at"])
    return False


def _refund_duplicate_later(payment: Payment, reason: str) -> None:
    from apps.billing.models import BillingEventKind
    from apps.billing.services.history import history_record
    from apps.billing.tasks import refund_duplicate_payment_task

    log_event(
        "payment_duplicate",
        tenant_id=str(payment.tenant_id),
        payment_id=str(payment.pk),
        reason=reason,
    )
    history_record(
        payment.tenant,
        BillingEventKind.PAYMENT_SUCCEEDED,
        message=_("Paid twice for the same plan: this payment will be refunded in full."),
        money=payment.money,
        payment_id=str(payment.pk),
        duplicate=True,
    )
    transaction.on_commit(lambda: refund_duplicate_payment_task.delay(str(payment.pk)))


def payment_refresh(payment: Payment) -> Payment:
    """Ask the provider for the payment's status (the payer came back from its page) and
    apply it; the API's answer is authoritative, unlike a redirect's query string. A provider
    that does not answer leaves the payment as it is (the webhook will follow)."""
    if payment.provider == gateways.SANDBOX or not payment.provider_id:
        return payment
    if payment.status != PaymentStatus.PENDING:
        return payment
    try:
        result = gateways.get_gateway(payment.provider).fetch(payment.provider_id)
    except ProviderError:
        return payment
    return payment_apply_status(
        payment,
        result.status,
        raw=result.raw,
        payment_method_id=result.payment_method_id,
        failure_reason=result.failure_reason,
    )


def payment_sandbox_complete(
    *, payment: Payment, approve: bool, decline_later: bool = False
) -> Payment:
    """The sandbox test-card page's Approve / Decline; `decline_later` approves with a saved
    card that declines every later charge (renewals), so dunning can be tried offline."""
    if payment.provider != gateways.SANDBOX:
        raise ValidationFailed(_("This is not a test payment."), code="not_sandbox")
    if approve:
        from apps.billing.gateways.sandbox import SandboxGateway

        return payment_apply_status(
            payment,
            PaymentStatus.SUCCEEDED,
            raw={**payment.raw, "sandbox": "approved"},
            payment_method_id=SandboxGateway.new_method_id(decline_later=decline_later),
        )
    return payment_apply_status(
        payment,
        PaymentStatus.FAILED,
        raw={**payment.raw, "sandbox": "declined"},
        failure_reason=_("Test card declined: insufficient funds."),
    )


def _payment_by_order_ref(event: NotificationEvent) -> Payment | None:
    """A payment whose provider id we never saved (the process died between the provider call
    and our commit), found by the reference the provider echoes back; it adopts the id."""
    ref = event.order_ref
    if not ref or not event.provider_payment_id:
        return None
    candidates = Payment.objects.unscoped().filter(provider=event.provider, provider_id="")
    try:
        match = Q(idempotency_key=ref) | Q(pk=uuid.UUID(ref))
    except ValueError:
        match = Q(idempotency_key=ref)
    payment = candidates.filter(match).select_for_update(of=("self",)).first()
    if payment is not None:
        payment.provider_id = event.provider_payment_id[:64]
        payment.save(update_fields=["provider_id", "updated_at"])
    return payment


def payment_notification_process(event: NotificationEvent) -> str:
    """A verified notification: record its id first (a replay stops there), then apply it.
    Returns "duplicate", "unknown" or "applied"; the caller answers 200 in every case."""
    with transaction.atomic():
        payment = (
            Payment.objects.unscoped()
            .filter(provider=event.provider, provider_id=event.provider_payment_id)
            .select_related("tenant")
            .first()
        ) or _payment_by_order_ref(event)
        if payment is None:
            # Not recorded: the provider's retry gets another chance once the row is known.
            logger.warning(
                "payment_notification_unknown", provider=event.provider, event_id=event.event_id
            )
            return "unknown"
        try:
            with transaction.atomic():
                PaymentEvent.objects.create(
                    provider=event.provider,
                    provider_event_id=event.event_id[:128],
                    payment=payment,
                    status=event.status,
                    raw=event.raw,
                )
        except IntegrityError:
            return "duplicate"
        with tenant_scope(payment.tenant):
            payment_apply_status(
                payment,
                event.status,
                raw=event.raw,
                payment_method_id=event.payment_method_id,
                failure_reason=event.failure_reason,
            )
    return "applied"
