"""The tenant's credit balance, kept as a ledger (`CreditEntry`): credits in (a downgrade's
prorated remainder, money given back to balance) and spending out (paid actions, renewals).
Every entry has an idempotency key, so a retried operation never counts twice."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from apps.billing.models import BillingAccount, BillingEventKind, CreditEntry
from apps.billing.services.history import history_record
from apps.core.errors import ValidationFailed
from apps.core.money import Money


def credit_balance(tenant, currency: str) -> Money:
    total = (
        CreditEntry.objects.for_tenant(tenant)
        .filter(currency=currency)
        .aggregate(total=Sum("amount"))["total"]
    )
    return Money(int(total or 0), currency)


def _entry(tenant, amount: int, currency: str, reason: str, reference: str, key: str):
    """Insert one ledger entry, or return the existing one for `key` (a retry)."""
    existing = CreditEntry.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = CreditEntry.objects.create(
                tenant=tenant,
                amount=amount,
                currency=currency,
                reason=str(reason)[:300],
                reference=reference[:100],
                idempotency_key=key,
            )
    except IntegrityError:
        return CreditEntry.objects.for_tenant(tenant).get(idempotency_key=key), False
    return entry, True


@transaction.atomic
def credit_add(
    *, tenant, money: Money, reason: str, idempotency_key: str, reference: str = ""
) -> CreditEntry:
    """Add credit to the balance. Returns the existing entry when the key was used before."""
    if money.amount <= 0:
        raise ValidationFailed(_("A credit must be a positive amount."), code="invalid_amount")
    entry, _created = _entry(
        tenant, money.amount, money.currency, reason, reference, idempotency_key
    )
    return entry


@transaction.atomic
def credit_spend(
    *, tenant, money: Money, reason: str, idempotency_key: str, reference: str = ""
) -> CreditEntry | None:
    """Take `money` from the balance if it covers it; None if it does not (nothing is
    written). The tenant's billing account row is locked, so two spends never overdraw."""
    if money.amount <= 0:
        raise ValidationFailed(_("A charge must be a positive amount."), code="invalid_amount")
    existing = CreditEntry.objects.for_tenant(tenant).filter(idempotency_key=idempotency_key)
    if existing.exists():
        return existing.get()
    BillingAccount.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    BillingAccount.objects.for_tenant(tenant).select_for_update().get()
    if credit_balance(tenant, money.currency).amount < money.amount:
        return None
    entry, _created = _entry(
        tenant, -money.amount, money.currency, reason, reference, idempotency_key
    )
    return entry


@transaction.atomic
def credit_grant(
    *, tenant, money: Money, reason: str, actor=None, reference: str = ""
) -> CreditEntry:
    """A manual credit given by staff (goodwill, a correction): a fresh idempotency key per
    grant, and a line in the tenant's billing history."""
    entry = credit_add(
        tenant=tenant,
        money=money,
        reason=reason,
        idempotency_key=f"staff-credit-{uuid.uuid4()}",
        reference=reference,
    )
    history_record(
        tenant,
        BillingEventKind.CREDIT_ADDED,
        message=reason,
        money=money,
        actor=actor,
        credit_entry=entry.pk,
        manual=True,
    )
    return entry
