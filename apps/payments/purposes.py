"""What a payment is for, and what happens when it settles: a registry billing fills at start-up.

A payment carries a *purpose* (`Payment.kind`: plan, renewal, proration, usage, invoice).
Payments knows nothing about plans or subscriptions; when a webhook, a poll or a direct charge
settles a payment, `payment_apply_status` calls the handlers registered for its purpose —
inside the same transaction as the status change, so the effect is atomic with it:

    purposes.register(PaymentKind.RENEWAL, on_succeeded=..., on_failed=..., on_refunded=...)

- `on_succeeded(payment) -> bool`: act on a success; True if the payment turned out to be a
  duplicate (paid twice): it keeps its success and its invoice, and the handler arranges
  its refund.
- `on_failed(payment)`: a failure or a cancellation (a decline, an expired page).
- `on_refunded(payment, refund, actor)`: a refund completed (part or all of the payment).
- `on_method_saved(payment)`: the payer's saved method arrived after the success (T-Bank
  reports the RebillId in its notification, not on the payer's return).
- `invoice_lines(payment, language) -> InvoiceDraft`: the lines and the period of the
  payment's invoice (see `apps.payments.invoicing`).

A purpose with no handler registered does nothing beyond the payment's own records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.payments.models import Payment, Refund


@dataclass(frozen=True)
class PurposeHandlers:
    on_succeeded: Callable[[Payment], bool | None] | None = None
    on_failed: Callable[[Payment], None] | None = None
    on_refunded: Callable[[Payment, Refund, Any], None] | None = None
    on_method_saved: Callable[[Payment], None] | None = None
    invoice_lines: Callable[[Payment, str], Any] | None = None


_registry: dict[str, PurposeHandlers] = {}


def register(
    purpose: str,
    *,
    on_succeeded: Callable[[Payment], bool | None] | None = None,
    on_failed: Callable[[Payment], None] | None = None,
    on_refunded: Callable[[Payment, Refund, Any], None] | None = None,
    on_method_saved: Callable[[Payment], None] | None = None,
    invoice_lines: Callable[[Payment, str], Any] | None = None,
) -> None:
    """Register what happens to payments of `purpose` (call it from an app's wiring.py).
    Registering a purpose again replaces its handlers, so wiring it again is harmless."""
    _registry[str(purpose)] = PurposeHandlers(
        on_succeeded=on_succeeded,
        on_failed=on_failed,
        on_refunded=on_refunded,
        on_method_saved=on_method_saved,
        invoice_lines=invoice_lines,
    )


def handlers(purpose: str) -> PurposeHandlers:
    """The handlers of `purpose` (empty ones when nothing is registered)."""
    return _registry.get(str(purpose), PurposeHandlers())


def registered() -> dict[str, PurposeHandlers]:
    """Every registered purpose (for tests and the architecture doc)."""
    return dict(_registry)


def payment_succeeded(payment: Payment) -> bool:
    """Run the purpose's success handler; True if it reports a duplicate payment."""
    handler = handlers(payment.kind).on_succeeded
    return bool(handler(payment)) if handler is not None else False


def payment_failed(payment: Payment) -> None:
    handler = handlers(payment.kind).on_failed
    if handler is not None:
        handler(payment)


def payment_refunded(payment: Payment, refund: Refund, actor=None) -> None:
    handler = handlers(payment.kind).on_refunded
    if handler is not None:
        handler(payment, refund, actor)


def payment_method_saved(payment: Payment) -> None:
    handler = handlers(payment.kind).on_method_saved
    if handler is not None:
        handler(payment)
