"""Decisions on an upsell case awaiting approval: its drafts edited, the case approved (the
outreach is queued after commit) or rejected with a reason."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, ValidationFailed
from apps.upsell import tasks
from apps.upsell.models import CaseStatus, UpsellCase
from apps.upsell.transitions import case_transition


def case_edit(case: UpsellCase, *, email_subject=None, email_body=None, call_script=None):
    """Edit the drafts while the case waits for approval."""
    if case.status != CaseStatus.AWAITING_APPROVAL:
        raise ApplicationError(_("Only a case awaiting approval can be edited."), status=409)
    changes = {
        name: value
        for name, value in (
            ("email_subject", email_subject), ("email_body", email_body),
            ("call_script", call_script),
        )
        if value is not None
    }  # fmt: skip
    for name, value in changes.items():
        setattr(case, name, value)
    UpsellCase.objects.for_tenant(case.tenant_id).filter(pk=case.pk).update(**changes)
    return case


def case_approve(case: UpsellCase, *, actor, via: str, reason: str = "", **edits) -> UpsellCase:
    """Approve (staff in admin, a tenant admin in the dashboard, or auto above the second
    threshold): records who and when, then queues the outreach after commit."""
    if edits:
        case_edit(case, **edits)
    case_transition(
        case, CaseStatus.APPROVED, actor=actor, label=decision_label(via, actor), reason=reason,
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        decided_at=timezone.now(), decided_via=via,
    )  # fmt: skip
    tasks.enqueue_outreach(case.tenant_id, case.pk)
    return case


def case_reject(case: UpsellCase, *, actor, via: str, reason: str) -> UpsellCase:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why."), fields={"reason": [_("Required.")]})
    return case_transition(
        case, CaseStatus.REJECTED, actor=actor, label=decision_label(via, actor), reason=reason,
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        decided_at=timezone.now(), decided_via=via, reject_reason=reason[:500],
    )  # fmt: skip


def decision_label(via: str, actor) -> str:
    """Who moved the case, for its history: the channel, and the person's login if any."""
    label = {"admin": "staff", "dashboard": "tenant admin", "api": "API",
             "auto": "auto-approval"}.get(via, via)  # fmt: skip
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = f"{label}: {actor.get_username()}"
    return label
