"""Rate cards: the tenant's first default card, and publishing new versions.

Versions are never edited: a new one starts at `valid_from` and ends the previous version of
its scope there, so a report always finds the card in force when an action happened, and a
closed month keeps its prices.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import Conflict, ValidationFailed
from apps.leads.models import Customer
from apps.payperlead import refresh, selectors
from apps.payperlead.default_card import rate_card_ensure_default
from apps.payperlead.models import EPOCH, RateCard, month_bounds

logger = structlog.get_logger("fastlead.billing.payperlead")


def rate_card_publish(
    *,
    tenant,
    actor,
    valid_from: datetime,
    currency: str,
    value_high: int,
    value_medium: int,
    value_low: int,
    cap: int,
    customer: Customer | None = None,
    lead_type: str = "",
    note: str = "",
) -> RateCard:
    """Publish a new version of a card from `valid_from` on; the previous version of the same
    scope ends there. Refused inside a closed period (a change never rewrites one) and before
    the current version starts (versions only move forward)."""
    currency = (currency or "").upper()
    _validate_card(currency, value_high, value_medium, value_low, cap, valid_from)
    if customer is not None and customer.tenant_id != tenant.pk:
        raise ValidationFailed(
            _("Some fields are invalid."), fields={"customer": [_("No such customer.")]}
        )
    lead_type = (lead_type or "").strip()
    with transaction.atomic():
        rate_card_ensure_default(tenant)
        _refuse_closed(tenant, valid_from)
        scope = RateCard.objects.for_tenant(tenant).filter(customer=customer, lead_type=lead_type)
        current = scope.select_for_update().order_by("-version").first()
        if current is not None and valid_from <= current.valid_from:
            raise ValidationFailed(
                _("A new version must start after the current one (%(date)s).")
                % {"date": current.valid_from.isoformat()},
                fields={"valid_from": [_("Must be after the current version's start.")]},
            )
        if current is not None and (current.valid_to is None or current.valid_to > valid_from):
            current.valid_to = valid_from
            current.save(update_fields=["valid_to"])
        card = RateCard.objects.create(
            tenant=tenant,
            customer=customer,
            lead_type=lead_type,
            version=(current.version + 1) if current else 1,
            valid_from=valid_from,
            currency=currency,
            value_high=value_high,
            value_medium=value_medium,
            value_low=value_low,
            cap=cap,
            note=note,
            created_by=actor,
        )
        refresh.period_mark_cards_changed(tenant=tenant, valid_from=valid_from)
    logger.info("rate_card_published", tenant_id=str(tenant.pk), card_id=card.pk)
    return card


def _validate_card(currency, high, medium, low, cap, valid_from) -> None:
    errors: dict[str, list[str]] = {}
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = [_("An ISO 4217 code such as USD, EUR or RUB.")]
    for name, amount in (("value_high", high), ("value_medium", medium), ("value_low", low)):
        if not isinstance(amount, int) or amount < 0:
            errors[name] = [_("A whole number of minor units, 0 or more.")]
    if not isinstance(cap, int) or cap < 0:
        errors["cap"] = [_("A whole number of minor units, 0 or more.")]
    if valid_from is None or timezone.is_naive(valid_from) or valid_from < EPOCH:
        errors["valid_from"] = [_("A date and time with a time zone, from 2000 on.")]
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)


def _refuse_closed(tenant, valid_from: datetime) -> None:
    closed = selectors.closed_months(tenant)
    if closed and valid_from < month_bounds(max(closed))[1]:
        raise Conflict(
            _("%(month)s is closed: a new card can start only after it.")
            % {"month": f"{max(closed):%Y-%m}"},
            code="period_closed",
            fields={"valid_from": [_("Inside or before a closed billing period.")]},
        )
