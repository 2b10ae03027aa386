"""What a settled payment does in billing, by purpose — registered with payments at start-up
(`register_payment_purposes`, from BillingConfig.ready), so that payments never imports
billing. Every handler runs inside the transaction that moves the payment's status.

- plan, renewal, invoice: activate the plan (a first purchase) or move the subscription to
  the period it paid for; a plan paid twice keeps its success and is refunded in full.
- proration: switch the plan in place (an upgrade); a failure gives its credit part back.
- usage: nothing to activate (the paid action's charge is its record).
- a failed renewal starts or continues dunning.
Every success but a duplicate e-mails the administrators; every refund and invoice writes
the tenant's billing history. Invoices take their lines and buyer from here.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing import selectors
from apps.billing.models import BillingEventKind, Plan, Subscription, UsageCharge
from apps.billing.services import payment_notices
from apps.billing.services.dunning import dunning_charge_failed
from apps.billing.services.history import history_record
from apps.billing.services.payments import second_plan_refused
from apps.billing.services.plan_changes import plan_change_paid, plan_change_payment_failed
from apps.billing.services.renewals import subscription_renew
from apps.billing.services.subscriptions import subscription_activate
from apps.core.errors import ApplicationError
from apps.core.events import log_event
from apps.core.money import Money, format_money
from apps.core.stored_text import stored_text
from apps.payments import invoicing, purposes, tasks
from apps.payments.invoicing import Buyer, InvoiceDraft, InvoiceLineDraft
from apps.payments.models import Invoice, InvoiceKind, Payment, PaymentKind, Refund

LANGUAGES = ("ru", "en")
# Paid actions by `UsageCharge.kind`; an unknown kind is shown as it is.
USAGE_KIND_LABELS = {
    "enrichment": gettext_noop("AI enrichment"),
    "ai_enrichment": gettext_noop("AI enrichment"),
}


# --- successes ---------------------------------------------------------------------------------


def _subscription_paid(payment: Payment) -> bool:
    """A plan purchase, a renewal or a provider's invoice; True if it is a duplicate."""
    duplicate = _activate_or_renew(payment)
    if not duplicate:  # a double payment is refunded, not celebrated
        payment_notices.payment_succeeded_notify(
            payment
        )  # one e-mail per payment: this move happens once
    return duplicate


def _activate_or_renew(payment: Payment) -> bool:
    if payment.subscription_id is not None:
        subscription_renew(payment)  # a renewal: move to the period it paid for
        return False
    plan = Plan.objects.get(pk=payment.plan_id)
    try:
        with transaction.atomic():
            paid = selectors.subscription_paid_live(payment.tenant)
            if paid is not None and paid.plan_id != plan.pk:
                # Two tabs bought two plans: the one paid first stays, this one is refunded
                # (ending the first would lose its paid time).
                raise second_plan_refused(payment.tenant, paid)
            subscription = subscription_activate(
                tenant=payment.tenant, plan=plan, actor=payment.created_by
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
    log_event(
        "payment_duplicate",
        tenant_id=str(payment.tenant_id),
        payment_id=str(payment.pk),
        reason=reason,
    )
    message = (
        _("Paid for a second plan while one is live: this payment will be refunded in full.")
        if reason == "plan_change_required"
        else _("Paid twice for the same plan: this payment will be refunded in full.")
    )
    history_record(
        payment.tenant,
        BillingEventKind.PAYMENT_SUCCEEDED,
        message=message,
        money=payment.money,
        payment_id=str(payment.pk),
        duplicate=True,
    )
    payment_id = str(payment.pk)
    transaction.on_commit(lambda: tasks.refund_duplicate_payment_task.delay(payment_id))


def _upgrade_paid(payment: Payment) -> bool:
    plan_change_paid(payment)  # an upgrade: switch the plan in place (same period)
    payment_notices.payment_succeeded_notify(payment)
    return False


def _usage_paid(payment: Payment) -> bool:
    payment_notices.payment_succeeded_notify(payment)  # a paid action: nothing to activate or renew
    return False


def _method_saved(payment: Payment) -> None:
    """The card arrived after the success: keep it on the subscription for renewals."""
    if payment.subscription_id is not None:
        Subscription.objects.for_tenant(payment.tenant).filter(
            pk=payment.subscription_id, payment_method_id=""
        ).update(payment_method_id=payment.payment_method_id)


def _refunded(payment: Payment, refund: Refund, actor) -> None:
    history_record(
        payment.tenant,
        BillingEventKind.REFUNDED,
        message=refund.reason,
        money=refund.money,
        actor=actor,
        payment_id=str(payment.pk),
        refund_id=str(refund.pk),
    )


# --- invoices ----------------------------------------------------------------------------------


def _date(value: datetime) -> str:
    return f"{timezone.localtime(value):%d.%m.%Y}"


def invoice_lines(payment: Payment, language: str) -> InvoiceDraft:
    """The invoice of a plan, renewal or upgrade payment: one line naming the plan and the
    period it pays for; of paid actions, one line per charge (see `_usage_lines`)."""
    plan = Plan.objects.get(pk=payment.plan_id)
    plan_name = plan.name_en if language == "en" else plan.name_ru
    amount = payment.amount
    if payment.kind in (PaymentKind.USAGE, PaymentKind.INVOICE):
        lines = _usage_lines(payment)
        if lines:
            return InvoiceDraft(lines=lines)
        text = payment.description or _("Paid actions")
        return InvoiceDraft(lines=[InvoiceLineDraft(text, 1, amount, amount)])
    start, end = _paid_period(payment, plan)
    if payment.kind == PaymentKind.PRORATION:
        text = payment.description or _("Upgrade → %(plan)s, prorated") % {"plan": plan_name}
    else:
        text = _("Plan %(plan)s") % {"plan": plan_name}
        if start and end:
            text += f", {_date(start)}–{_date(end)}"
    line = InvoiceLineDraft(text, 1, amount, amount)
    return InvoiceDraft(lines=[line], period_start=start, period_end=end)


def _paid_period(payment: Payment, plan: Plan) -> tuple[datetime | None, datetime | None]:
    """The period the payment paid for: a renewal names it, a purchase or an upgrade runs to
    the end of the subscription's current period."""
    if payment.kind == PaymentKind.RENEWAL or payment.period_start is not None:
        start = payment.period_start
        if start is None:
            return None, None
        return start, start + selectors.interval_delta(plan.interval)
    subscription = (
        Subscription.objects.for_tenant(payment.tenant_id).filter(pk=payment.subscription_id)
    ).first()
    if subscription is None:
        return None, None
    if payment.kind == PaymentKind.PRORATION:
        return timezone.now(), subscription.current_period_end
    return subscription.current_period_start, subscription.current_period_end


def _usage_lines(payment: Payment) -> list[InvoiceLineDraft]:
    charges = list(
        UsageCharge.objects.for_tenant(payment.tenant_id)
        .filter(payment=payment)
        .order_by("created_at", "pk")
    )
    if not charges or sum(c.amount for c in charges) != payment.amount:
        return []
    lines = []
    for charge in charges:
        label = USAGE_KIND_LABELS.get(charge.kind)
        label = _(label) if label else charge.kind
        text = _("%(action)s, %(count)s leads × %(price)s") % {
            "action": label,
            "count": charge.quantity,
            "price": format_money(charge.unit_amount, charge.currency),
        }
        lines.append(InvoiceLineDraft(text, charge.quantity, charge.unit_amount, charge.amount))
    return lines


def invoice_buyer(tenant) -> Buyer:
    """The buyer on the tenant's invoices, from its billing account (else the company)."""
    account = selectors.billing_account_get(tenant)
    language = getattr(account, "invoice_language", "") or "ru"
    return Buyer(
        details={
            "name": (account.legal_name if account else "") or tenant.name,
            "tax_id": account.tax_id if account else "",
            "address": account.billing_address if account else "",
            "email": account.billing_email if account else "",
            "company": tenant.name,
        },
        language=language if language in LANGUAGES else "ru",
    )


def invoice_issued(invoice: Invoice, original: Invoice | None) -> None:
    """An invoice links the paid actions it covers; both kinds go into the history."""
    tenant = invoice.tenant
    if invoice.kind == InvoiceKind.CREDIT_NOTE and original is not None:
        history_record(
            tenant,
            BillingEventKind.INVOICE_ISSUED,
            message=stored_text(
                gettext_noop("Credit note %(number)s for invoice %(original)s"),
                number=invoice.number,
                original=original.number,
            ),
            money=Money(invoice.total, invoice.currency),
            invoice=invoice.number,
            original=original.number,
            refund=str(invoice.refund_id),
        )
        return
    UsageCharge.objects.for_tenant(tenant).filter(
        payment_id=invoice.payment_id, invoice__isnull=True
    ).update(invoice=invoice)
    history_record(
        tenant,
        BillingEventKind.INVOICE_ISSUED,
        message=stored_text(gettext_noop("Invoice %(number)s issued"), number=invoice.number),
        money=invoice.money,
        invoice=invoice.number,
        payment=str(invoice.payment_id),
    )


# --- registration ------------------------------------------------------------------------------


def register_payment_purposes() -> None:
    """Tell payments what each purpose does (BillingConfig.ready)."""
    subscription = {
        "on_succeeded": _subscription_paid,
        "on_refunded": _refunded,
        "on_method_saved": _method_saved,
        "invoice_lines": invoice_lines,
    }
    purposes.register(PaymentKind.PLAN, **subscription)
    purposes.register(PaymentKind.INVOICE, **subscription)
    purposes.register(PaymentKind.RENEWAL, on_failed=dunning_charge_failed, **subscription)
    purposes.register(
        PaymentKind.PRORATION,
        on_succeeded=_upgrade_paid,
        on_failed=plan_change_payment_failed,
        on_refunded=_refunded,
        on_method_saved=_method_saved,
        invoice_lines=invoice_lines,
    )
    purposes.register(
        PaymentKind.USAGE,
        on_succeeded=_usage_paid,
        on_refunded=_refunded,
        on_method_saved=_method_saved,
        invoice_lines=invoice_lines,
    )
    invoicing.configure(buyer=invoice_buyer, on_issued=invoice_issued)
