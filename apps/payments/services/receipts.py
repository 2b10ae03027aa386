"""54-FZ fiscal receipts: every RUB payment through a gateway that sends receipts (YooKassa,
T-Bank: `Capabilities.fiscal_receipts`) carries one, and so does every refund of it.

The items are the payment's invoice lines (its purpose's `invoice_lines`, the same draft the
invoice is issued from), in minor units, adding up exactly to the payment: a line whose
unit price × quantity is not its amount (a rounded usage price) becomes one position of
quantity 1 at the line's amount. The receipt is kept on the payment before the provider is
called, so a retry sends the same receipt, and a refund's receipt is cut from it: a full
refund returns every position, a partial one shares the refunded amount out over the
positions in proportion (largest first gets the remainder), still summing exactly.

Tax settings are the seller's (ours), so they come from settings, not from the tenant:
FISCAL_TAX_SYSTEM, FISCAL_VAT (empty: from BILLING_VAT_RATE_BP), FISCAL_PAYMENT_SUBJECT,
FISCAL_PAYMENT_MODE; FISCAL_RECEIPTS_ENABLED=false turns receipts off (a shop whose provider
fiscalizes by other means). The buyer's contact: the billing e-mail, else the e-mail of who
started the payment, else of the company's first admin.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.core import checks
from django.db.models import Model
from django.utils import timezone, translation

from apps.core.errors import ProviderError
from apps.payments import gateways
from apps.payments.gateways.base import RECEIPT_PENDING, Receipt, ReceiptItem
from apps.payments.models import RECEIPT_STATUS_RANK, Payment, PaymentStatus, Refund
from apps.payments.services.invoices import buyer_details, payment_invoice_draft
from apps.tenants.models import Membership
from apps.tenants.roles import Role

logger = structlog.get_logger("fastlead.payments.receipts")

TAX_SYSTEMS = ("osn", "usn_income", "usn_income_outcome", "envd", "esn", "patent")
VATS = (
    "none",
    "vat0",
    "vat5",
    "vat7",
    "vat10",
    "vat20",
    "vat22",
    "vat105",
    "vat107",
    "vat110",
    "vat120",
    "vat122",
)
PAYMENT_SUBJECTS = ("commodity", "excise", "job", "service", "payment", "another")
PAYMENT_MODES = (
    "full_prepayment",
    "prepayment",
    "advance",
    "full_payment",
    "partial_payment",
    "credit",
    "credit_payment",
)
_VAT_BY_RATE_BP = {0: "none", 500: "vat5", 700: "vat7", 1000: "vat10", 2000: "vat20", 2200: "vat22"}


def receipt_vat() -> str:
    """The VAT code of our positions: FISCAL_VAT, else the one of BILLING_VAT_RATE_BP."""
    return settings.FISCAL_VAT or _VAT_BY_RATE_BP.get(settings.BILLING_VAT_RATE_BP, "")


def check_receipt_settings(**kwargs) -> list[checks.CheckMessage]:
    """System check payments.E001: the fiscal settings name codes the providers know."""
    if not settings.FISCAL_RECEIPTS_ENABLED:
        return []
    wrong = [
        f"{name}={value!r} (one of {', '.join(allowed)})"
        for name, value, allowed in (
            ("FISCAL_TAX_SYSTEM", settings.FISCAL_TAX_SYSTEM, TAX_SYSTEMS),
            ("FISCAL_VAT", receipt_vat(), VATS),
            ("FISCAL_PAYMENT_SUBJECT", settings.FISCAL_PAYMENT_SUBJECT, PAYMENT_SUBJECTS),
            ("FISCAL_PAYMENT_MODE", settings.FISCAL_PAYMENT_MODE, PAYMENT_MODES),
        )
        if value not in allowed
    ]
    return [checks.Error(f"Fiscal receipt setting {text}", id="payments.E001") for text in wrong]


def receipt_required(payment: Payment) -> bool:
    return (
        settings.FISCAL_RECEIPTS_ENABLED
        and payment.currency == "RUB"
        and gateways.capabilities(payment.provider).fiscal_receipts
    )


def receipt_contact(payment: Payment) -> str:
    """The e-mail the receipt goes to (see the module docstring); "" when there is none."""
    email = str(buyer_details(payment.tenant)[0].get("email") or "")
    if not email and payment.created_by_id:
        email = payment.created_by.email
    if not email:
        admin = (
            Membership.objects.for_tenant(payment.tenant_id)
            .filter(role=Role.ADMIN, user__is_active=True)
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        email = admin.user.email if admin else ""
    return email


def _item(description: str, quantity: int, unit_amount: int, amount: int) -> ReceiptItem:
    if quantity <= 0 or unit_amount * quantity != amount:
        quantity, unit_amount = 1, amount
    return ReceiptItem(
        description=description[:128],
        quantity=quantity,
        unit_amount=unit_amount,
        amount=amount,
        vat=receipt_vat(),
        payment_subject=settings.FISCAL_PAYMENT_SUBJECT,
        payment_mode=settings.FISCAL_PAYMENT_MODE,
    )


def receipt_build(payment: Payment) -> Receipt | None:
    """The payment's receipt from its invoice lines (in Russian: a fiscal document), or None
    when none is required or there is no contact to send it to (logged)."""
    if not receipt_required(payment):
        return None
    email = receipt_contact(payment)
    if not email:
        logger.warning("receipt_no_contact", payment_id=str(payment.pk))
        return None
    with translation.override("ru"):
        draft = payment_invoice_draft(payment, "ru")
    items = tuple(
        _item(line.description, line.quantity, line.unit_amount, line.amount)
        for line in draft.lines
    )
    return Receipt(email=email, phone="", tax_system=settings.FISCAL_TAX_SYSTEM, items=items)


def payment_receipt_prepare(payment: Payment) -> Receipt | None:
    """The receipt to send with `payment`: the one kept on the row (a retry sends the same),
    else a new one, kept (status pending) before the provider is called."""
    kept = Receipt.from_dict(payment.receipt)
    if kept is not None or not receipt_required(payment):
        return kept
    receipt = receipt_build(payment)
    if receipt is not None:
        payment.receipt = receipt.as_dict()
        payment.receipt_status = RECEIPT_PENDING
        Payment.objects.unscoped().filter(pk=payment.pk).update(
            receipt=payment.receipt, receipt_status=RECEIPT_PENDING
        )
    return receipt


def refund_receipt_items(items: tuple[ReceiptItem, ...], amount: int) -> tuple[ReceiptItem, ...]:
    """The positions a refund of `amount` returns (see the module docstring)."""
    total = sum(item.amount for item in items)
    if amount >= total:
        return items
    shares = [item.amount * amount // total for item in items]
    left = amount - sum(shares)
    for index in sorted(range(len(items)), key=lambda i: -items[i].amount):
        extra = min(left, items[index].amount - shares[index])
        shares[index] += extra
        left -= extra
    returned = []
    for item, share in zip(items, shares, strict=True):
        if share == item.amount:
            returned.append(item)
        elif share > 0:
            changes = {"quantity": 1, "unit_amount": share, "amount": share}
            returned.append(ReceiptItem(**{**item.__dict__, **changes}))
    return tuple(returned)


def refund_receipt_prepare(refund: Refund, payment: Payment) -> Receipt | None:
    """The refund's receipt (кассовый чек «возврат прихода»): kept on the row before the
    provider is called; cut from the payment's receipt (or built, for a payment made before
    receipts were sent)."""
    kept = Receipt.from_dict(refund.receipt)
    if kept is not None or not receipt_required(payment):
        return kept
    original = Receipt.from_dict(payment.receipt) or receipt_build(payment)
    if original is None:
        return None
    receipt = Receipt(
        email=original.email,
        phone=original.phone,
        tax_system=original.tax_system,
        items=refund_receipt_items(original.items, refund.amount),
    )
    refund.receipt = receipt.as_dict()
    refund.receipt_status = RECEIPT_PENDING
    Refund.objects.unscoped().filter(pk=refund.pk).update(
        receipt=refund.receipt, receipt_status=RECEIPT_PENDING
    )
    return receipt


def receipt_status_keep(row: Model, status: str) -> None:
    """Keep the provider's word on a receipt (payment or refund row) if it moves it forward."""
    if not status or RECEIPT_STATUS_RANK.get(status, 0) <= RECEIPT_STATUS_RANK.get(
        row.receipt_status, 0
    ):
        return
    type(row).objects.unscoped().filter(pk=row.pk).update(receipt_status=status)
    row.receipt_status = status


def refund_receipt_reported(payment: Payment, status: str, amount: int | None) -> None:
    """A provider reported a refund's receipt (T-Bank IncomeReturn): the refund of that
    amount still awaiting its receipt, else the latest one."""
    refunds = Refund.objects.for_tenant(payment.tenant_id).filter(payment=payment)
    waiting = refunds.filter(receipt_status=RECEIPT_PENDING)
    refund = (
        (waiting.filter(amount=amount).first() if amount is not None else None)
        or waiting.order_by("created_at").first()
        or refunds.order_by("-created_at").first()
    )
    if refund is not None:
        receipt_status_keep(refund, status)


# A receipt is registered within minutes; after this long a pending one is staff's business.
RECEIPT_REFRESH_WINDOW = timedelta(days=3)


def receipts_pending_refresh(*, limit: int = 100) -> int:
    """Ask the providers that report a receipt's registration only when asked (YooKassa:
    `receipt_registration` of the payment, often still pending when its webhook came) about
    the paid payments whose receipt is pending; returns how many moved on. A provider that
    does not answer leaves them for the next run."""
    providers = [p for p in gateways.PROVIDERS if gateways.capabilities(p).receipt_in_fetch]
    pending = (
        Payment.objects.unscoped()
        .filter(
            provider__in=providers,
            receipt_status=RECEIPT_PENDING,
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED],
            created_at__gte=timezone.now() - RECEIPT_REFRESH_WINDOW,
        )
        .exclude(provider_id="")
        .order_by("created_at")[:limit]
    )
    moved = 0
    for payment in pending:
        try:
            result = gateways.get_gateway(payment.provider).fetch(payment.provider_id)
        except ProviderError:
            continue
        receipt_status_keep(payment, result.receipt_status)
        moved += payment.receipt_status != RECEIPT_PENDING
    return moved
