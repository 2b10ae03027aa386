"""The upsell case state machine: a plain transition table and the one service that moves a
case. No other code writes `UpsellCase.status`.

    identified → lead_created → awaiting_approval → approved | rejected
    approved → outreach_started → email_sent → call_placed → done | failed
    (either channel may be skipped; done → won when the upsell is closed)
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import Conflict
from apps.upsell.models import CaseStatus as S
from apps.upsell.models import CaseTransition, UpsellCase

TRANSITIONS: dict[str, frozenset[str]] = {
    S.IDENTIFIED: frozenset({S.LEAD_CREATED, S.FAILED}),
    S.LEAD_CREATED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.FAILED}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.OUTREACH_STARTED, S.FAILED}),
    S.REJECTED: frozenset(),
    S.OUTREACH_STARTED: frozenset({S.EMAIL_SENT, S.CALL_PLACED, S.DONE, S.FAILED}),
    S.EMAIL_SENT: frozenset({S.CALL_PLACED, S.DONE, S.FAILED}),
    S.CALL_PLACED: frozenset({S.DONE, S.FAILED}),
    S.DONE: frozenset({S.WON}),
    S.FAILED: frozenset({S.WON}),
    S.WON: frozenset(),
}

# The statuses a case can be marked won from (its outreach finished).
WON_FROM: frozenset[str] = frozenset(s for s, to in TRANSITIONS.items() if S.WON in to)


class IllegalTransition(Conflict):
    default_code = "illegal_transition"


def can_transition(status: str, to: str) -> bool:
    return to in TRANSITIONS.get(status, frozenset())


def case_transition(
    case: UpsellCase, to: str, *, actor=None, label: str = "system", reason: str = "", **fields
) -> UpsellCase:
    """Move `case` to `to` (also saving `fields`), with a history row; an illegal move raises
    IllegalTransition (409). The row is locked and re-read, so two racing moves cannot both
    start from the same state."""
    with transaction.atomic():
        current = (
            UpsellCase.objects.for_tenant(case.tenant_id)
            .select_for_update()
            .filter(pk=case.pk)
            .values_list("status", flat=True)
            .first()
        )
        if current is None or not can_transition(current, to):
            raise IllegalTransition(
                _("An upsell case cannot go from “%(from)s” to “%(to)s”.")
                % {"from": current, "to": to}
            )
        for name, value in fields.items():
            setattr(case, name, value)
        case.status = to
        UpsellCase.objects.for_tenant(case.tenant_id).filter(pk=case.pk).update(status=to, **fields)
        CaseTransition.objects.create(
            tenant_id=case.tenant_id,
            case=case,
            from_status=current,
            to_status=to,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=label[:60],
            reason=(reason or "")[:500],
        )
    return case
