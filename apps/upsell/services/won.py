"""An upsell case's outcome: marked won (with the amount in minor units when known), and its
lead `won` too."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed
from apps.core.money import Money
from apps.leads.models import LeadStatus
from apps.leads.services import lead_update
from apps.upsell.models import CaseStatus, UpsellCase
from apps.upsell.services.decisions import decision_label
from apps.upsell.transitions import IllegalTransition, can_transition, case_transition


def case_mark_won(
    case: UpsellCase, *, actor, via: str = "admin", amount: int | None = None, currency: str = ""
) -> UpsellCase:
    """The upsell was sold (staff in admin, a tenant admin in the dashboard or the API): the
    case is won, with the amount in minor units when known, and its lead `won`. Only a case
    whose outreach finished can be won (the transition table); another is a 409."""
    won = _won_money(amount, currency)
    if not can_transition(case.status, CaseStatus.WON):
        raise IllegalTransition(
            _("Only a case whose outreach has finished (done or failed) can be marked won; "
              "this one is “%(status)s”.") % {"status": case.get_status_display()}
        )  # fmt: skip
    case_transition(
        case, CaseStatus.WON, actor=actor, label=decision_label(via, actor),
        reason=str(won) if won else "", won_amount=won.amount if won else None,
        won_currency=won.currency if won else "",
    )  # fmt: skip
    if case.lead_id:
        lead_update(
            tenant=case.tenant, actor=actor, lead_id=case.lead_id,
            changes={"status": LeadStatus.WON},
        )  # fmt: skip
    return case


def _won_money(amount, currency: str) -> Money | None:
    """The won amount as Money (integer minor units, ISO 4217), None when not given."""
    currency = (currency or "").strip().upper()
    if amount is None:
        if currency:
            raise ValidationFailed(_("Give the amount too."), fields={"amount": [_("Required.")]})
        return None
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed(
            _("The amount is a positive whole number of minor units (kopecks, cents)."),
            fields={"amount": [_("A positive whole number.")]},
        )
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise ValidationFailed(
            _("Name the currency (ISO 4217, e.g. RUB)."),
            fields={"currency": [_("Three letters, e.g. RUB.")]},
        )
    return Money(amount, currency)
