"""The tenant's billing history: every plan change, payment, refund and paid action leaves
one `BillingEvent`, shown on the billing page and in `GET …/billing/history/`."""

from __future__ import annotations

from apps.billing.models import BillingEvent
from apps.core.money import Money
from apps.core.stored_text import StoredText


def history_record(
    tenant, kind: str, *, message: str = "", money: Money | None = None, actor=None, **data
) -> BillingEvent:
    """Write one history row (inside the caller's transaction, so it lands with the change).
    A `StoredText` message is kept as its source and parameters too (`data["text"]`), so the
    row reads in each reader's language."""
    if isinstance(message, StoredText):
        data = {**data, "text": message.as_data()}
    return BillingEvent.objects.create(
        tenant=tenant,
        kind=kind,
        message=str(message)[:500],
        amount=money.amount if money is not None else None,
        currency=money.currency if money is not None else "",
        actor=actor if getattr(actor, "pk", None) else None,
        data=data,
    )
