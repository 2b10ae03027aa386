"""What invoices need from the app that sells (billing fills it at start-up): the buyer's
details, and what else happens when an invoice or a credit note is issued (its history row,
linking the paid actions it covers). The lines of a payment's invoice come from its purpose
(`apps.payments.purposes`, `invoice_lines`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from apps.payments.models import Invoice


@dataclass(frozen=True)
class InvoiceLineDraft:
    description: str
    quantity: int
    unit_amount: int
    amount: int


@dataclass(frozen=True)
class InvoiceDraft:
    """A payment's invoice before it is numbered: its lines (adding up to the payment's
    amount) and the period it pays for, if any."""

    lines: list[InvoiceLineDraft] = field(default_factory=list)
    period_start: datetime | None = None
    period_end: datetime | None = None


@dataclass(frozen=True)
class Buyer:
    details: dict  # name, tax_id, address, email, company: copied onto the invoice
    language: str  # "ru" or "en"


def _default_buyer(tenant) -> Buyer:
    return Buyer(details={"name": tenant.name, "company": tenant.name}, language="ru")


@dataclass
class _Hooks:
    buyer: Callable[[object], Buyer] = _default_buyer
    on_issued: Callable[[Invoice, Invoice | None], None] | None = None


_hooks = _Hooks()


def configure(
    *,
    buyer: Callable[[object], Buyer],
    on_issued: Callable[[Invoice, Invoice | None], None] | None = None,
) -> None:
    """`buyer(tenant)` gives the buyer's details; `on_issued(invoice, original)` runs in the
    issuing transaction (`original` is the invoice a credit note corrects, else None)."""
    _hooks.buyer = buyer
    _hooks.on_issued = on_issued


def buyer_for(tenant) -> Buyer:
    return _hooks.buyer(tenant)


def issued(invoice: Invoice, original: Invoice | None = None) -> None:
    if _hooks.on_issued is not None:
        _hooks.on_issued(invoice, original)
