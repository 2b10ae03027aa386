"""Why was this action billed (or not)? The staff console's explanation of one action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from apps.leads.models import Customer
from apps.payperlead import engine, selectors
from apps.payperlead.models import DEFAULT_CARD, BillingLine, RateCard, month_start
from apps.payperlead.services import Report, frozen_lines, frozen_report_of, report_compute


@dataclass
class Explanation:
    """How one action was (or will be) billed: its line, the report carrying it, the card
    version, the action it duplicates, and the numbers of the cap."""

    action: object
    period: date
    line: engine.Line | None = None
    report: Report | None = None
    original: engine.Line | None = None
    card: RateCard | None = None
    note: str = ""

    @property
    def currency(self) -> str:
        return self.report.record.currency if self.report else DEFAULT_CARD["currency"]


def action_explain(*, tenant, action) -> Explanation:
    """Explain an action of `tenant`: read back from a frozen report, or computed now (the
    open report of its month, or the one billing it as a late action of a closed month)."""
    period = month_start(action.occurred_at)
    explanation = Explanation(action=action, period=period)
    lead = action.lead
    if lead.customer_id is None:
        explanation.note = _("The lead has no customer: pay-per-lead bills nobody for it.")
        return explanation
    stored = (
        BillingLine.objects.for_tenant(tenant)
        .filter(action_ref=action.pk, report__frozen=True)
        .select_related("report")
        .first()
    )
    customer = Customer.objects.for_tenant(tenant).get(pk=lead.customer_id)
    if stored is not None:
        report = frozen_report_of(tenant, customer, stored.report.period)
    else:
        closed = selectors.closed_months(tenant)
        target = period if period not in closed else selectors.adjustment_target(period, closed)
        report = report_compute(tenant=tenant, customer=customer, period=target)
    explanation.report = report
    by_id = {line.action_id: line for line in report.lines}
    explanation.line = by_id.get(action.pk)
    if explanation.line is None:
        explanation.note = _("This action is in no report yet.")
        return explanation
    explanation.card = (
        RateCard.objects.for_tenant(tenant).filter(pk=explanation.line.card.id).first()
    )
    explanation.original = _original(tenant, explanation.line, by_id)
    return explanation


def _original(tenant, line: engine.Line, by_id: dict) -> engine.Line | None:
    if line.duplicate_of is None:
        return None
    found = by_id.get(line.duplicate_of)
    if found is not None:
        return found
    # A late action can duplicate one billed in its closed month's frozen report.
    stored = (
        BillingLine.objects.for_tenant(tenant)
        .filter(action_ref=line.duplicate_of, report__frozen=True)
        .select_related("report")
        .first()
    )
    if stored is None:
        return None
    lines = frozen_lines(stored.report)
    return next((ln for ln in lines if ln.action_id == line.duplicate_of), None)
