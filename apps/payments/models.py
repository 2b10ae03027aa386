"""Payments, provider events, refunds and invoices (the money that moved, and its documents).

Tables keep their old names (`billing_payment`, ...): the models moved here from billing
without touching the database (`migrations.SeparateDatabaseAndState`).

The one reference upwards: `Payment.subscription` and `Payment.plan` are foreign keys to
`billing.Subscription` and `billing.Plan`, written as lazy strings so the database keeps its
integrity and the `payment_one_charge_per_period` constraint. Payments' code never imports
billing and treats both as opaque ids (`subscription_id`, `plan_id`); what a payment is for is
its purpose (`kind`), and billing registers what each purpose does (`apps.payments.purposes`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.money import Money
from apps.tenants.scoping import TenantOwnedModel


def retained_tenant():
    """The `tenant` of rows kept after their company is deleted (accounting law: the seller
    keeps the invoices it issued and the payments they record). The company's deletion
    detaches them (apps/payments/services/retention.py): no tenant, so no tenant's pages or
    API see them, a `retain_until` date, the buyer's personal contacts blanked."""
    return models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


def retain_until_field():
    return models.DateField(
        _("retain until"),
        null=True,
        blank=True,
        help_text=_("Kept after the company was deleted, for accounting, until this date."),
    )


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    WAITING_FOR_CAPTURE = "waiting_for_capture", _("Waiting for capture")
    SUCCEEDED = "succeeded", _("Succeeded")
    CANCELED = "canceled", _("Canceled")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    # The provider reported success for another amount or currency than ours: nothing is
    # activated, staff look at it (a forged or tampered notification, a provider bug).
    NEEDS_REVIEW = "needs_review", _("Needs review")


# Statuses only move up this ladder, so a late or replayed event never undoes a later one.
# A success outranks a failure: the payer may retry a declined card on the same payment form.
PAYMENT_STATUS_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.WAITING_FOR_CAPTURE: 1,
    PaymentStatus.FAILED: 2,
    PaymentStatus.CANCELED: 2,
    PaymentStatus.SUCCEEDED: 3,
    PaymentStatus.NEEDS_REVIEW: 3,  # a later "succeeded" never activates it
    PaymentStatus.REFUNDED: 4,
}


class ReceiptStatus(models.TextChoices):
    """A 54-FZ fiscal receipt's state (the values of `gateways.base.RECEIPT_*`)."""

    NONE = "", _("Not required")
    PENDING = "pending", _("Sent, awaiting registration")
    REGISTERED = "registered", _("Registered")
    FAILED = "failed", _("Registration failed")


# A receipt's status only moves forward: a late "pending" never hides a registration.
RECEIPT_STATUS_RANK = {"": 0, "pending": 1, "registered": 2, "failed": 2}


class PaymentKind(models.TextChoices):
    PLAN = "plan", _("Plan purchase")
    RENEWAL = "renewal", _("Renewal")
    PRORATION = "proration", _("Upgrade (prorated)")
    USAGE = "usage", _("Paid actions")
    INVOICE = "invoice", _("Invoice in arrears")


class Payment(TenantOwnedModel, TimeStampedModel):
    """One payment attempt. The row exists before the provider is called, so its id is the
    idempotency key and a crash between the call and our commit loses nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = retained_tenant()
    subscription = models.ForeignKey(
        "billing.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("subscription"),
    )
    plan = models.ForeignKey(
        "billing.Plan", on_delete=models.PROTECT, related_name="payments", verbose_name=_("plan")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PLAN
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount = models.PositiveBigIntegerField(_("amount in minor units"))
    refunded_amount = models.PositiveBigIntegerField(_("refunded, minor units"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    provider = models.CharField(_("provider"), max_length=16)
    provider_id = models.CharField(_("provider payment id"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    is_test = models.BooleanField(_("test payment"), default=False)
    confirmation_url = models.URLField(_("confirmation URL"), max_length=500, blank=True)
    payment_method_id = models.CharField(_("saved payment method"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    raw = models.JSONField(_("provider payload"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Renewals (recurring charges): the period paid for, the ops request that created the
    # charge, and a short claim so that two workers never call the provider at once.
    period_start = models.DateTimeField(_("renewal of the period from"), null=True, blank=True)
    request_id = models.CharField(_("charge request id"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The 54-FZ receipt sent with the payment (gateways.base.Receipt.as_dict) and its state.
    receipt = models.JSONField(_("fiscal receipt"), default=dict, blank=True)
    receipt_status = models.CharField(
        _("fiscal receipt"), max_length=12, choices=ReceiptStatus.choices, blank=True, default=""
    )
    retain_until = retain_until_field()

    class Meta:
        db_table = "billing_payment"
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="payment_provider_id_unique",
            ),
            models.UniqueConstraint(
                fields=["request_id"],
                condition=~models.Q(request_id=""),
                name="payment_request_id_unique",
            ),
            # One live charge per subscription period: a failed one may be retried.
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(period_start__isnull=False)
                & ~models.Q(status__in=["failed", "canceled"]),
                name="payment_one_charge_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="payment_tenant")]

    def __str__(self) -> str:
        return f"{self.money} · {self.provider} · {self.status}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class PaymentEvent(TimeStampedModel):
    """A provider notification already processed: the unique event id makes webhooks
    idempotent (a replay hits the constraint and stops)."""

    provider = models.CharField(_("provider"), max_length=16)
    provider_event_id = models.CharField(_("provider event id"), max_length=128)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    status = models.CharField(_("status"), max_length=20, blank=True)
    raw = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        db_table = "billing_paymentevent"
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"], name="paymentevent_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_event_id}"


class Refund(TenantOwnedModel, TimeStampedModel):
    """Money sent back for a payment (a double payment, failed paid actions, a credit).
    Written before the provider call; its id is the idempotency key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = retained_tenant()
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField(_("amount in minor units"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    provider_id = models.CharField(_("provider refund id"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    raw = models.JSONField(_("provider payload"), default=dict, blank=True)
    receipt = models.JSONField(_("fiscal receipt"), default=dict, blank=True)
    receipt_status = models.CharField(
        _("fiscal receipt"), max_length=12, choices=ReceiptStatus.choices, blank=True, default=""
    )
    retain_until = retain_until_field()

    class Meta:
        db_table = "billing_refund"
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.money} · {self.status}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class InvoiceSequence(models.Model):
    """The last number given per currency; numbers are sequential without gaps because the
    row is locked while an invoice takes the next one."""

    currency = models.CharField(max_length=3, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "billing_invoicesequence"
        verbose_name = _("invoice sequence")
        verbose_name_plural = _("invoice sequences")

    def __str__(self) -> str:
        return f"{self.currency}: {self.last_number}"


class Invoice(TenantOwnedModel, TimeStampedModel):
    """A paid payment's invoice (or a refund's credit note). Totals are signed minor units:
    a credit note's total is negative. Seller and buyer are snapshots at issue time.
    Kept (detached from the tenant, until `retain_until`) when the company is deleted."""

    tenant = retained_tenant()
    number = models.CharField(_("number"), max_length=32, unique=True)
    sequence = models.PositiveIntegerField(_("sequence number"))
    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    status = models.CharField(
        _("status"), max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.BigIntegerField(_("subtotal, minor units"))
    vat_rate_bp = models.PositiveIntegerField(
        _("VAT rate, basis points"), default=0, help_text=_("2000 = 20 %.")
    )
    vat_amount = models.BigIntegerField(_("VAT, minor units"), default=0)
    total = models.BigIntegerField(_("total, minor units"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    period_start = models.DateTimeField(_("period from"), null=True, blank=True)
    period_end = models.DateTimeField(_("period to"), null=True, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    seller = models.JSONField(_("seller"), default=dict)
    buyer = models.JSONField(_("buyer"), default=dict)
    language = models.CharField(_("language"), max_length=2, default="ru")
    retain_until = retain_until_field()

    class Meta:
        db_table = "billing_invoice"
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "sequence"], name="invoice_sequence"),
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=models.Q(payment__isnull=False, refund__isnull=True),
                name="invoice_one_per_payment",
            ),
            models.UniqueConstraint(
                fields=["refund"],
                condition=models.Q(refund__isnull=False),
                name="invoice_one_per_refund",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-issued_at"], name="invoice_tenant")]

    def __str__(self) -> str:
        return self.number

    @property
    def money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def fiscal_receipt_status(self) -> str:
        """The 54-FZ receipt of the money this document records: the refund's for a credit
        note, else the payment's ("" when none was required)."""
        source = self.refund if self.refund_id else self.payment if self.payment_id else None
        return source.receipt_status if source is not None else ""

    @property
    def fiscal_receipt_label(self) -> str:
        status = self.fiscal_receipt_status
        return str(ReceiptStatus(status).label) if status else ""


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.IntegerField(_("quantity"), default=1)
    unit_amount = models.BigIntegerField(_("unit price, minor units"))
    amount = models.BigIntegerField(_("amount, minor units"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "billing_invoiceline"
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description
