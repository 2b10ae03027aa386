"""Upsell outreach: the approved case's e-mail through the tenant's e-mail channel (the
messaging outbox: consent, suppression, no double send) and its call through the call
platform (HYROCALL), then the call's outcome from the webhook."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.channels.models import Channel, ChannelKind
from apps.core.errors import ProviderError, ValidationFailed
from apps.features.guards import feature_enabled
from apps.messaging.outbox import queue_message
from apps.upsell.models import CallEvent, CaseStatus, ChannelState, UpsellCase
from apps.upsell.providers import get_call_platform
from apps.upsell.providers.base import CallOutcome, CallRequest
from apps.upsell.transitions import case_transition

CALL_TOOL = "hyrocall"


def outreach_run(tenant, case_id: int) -> UpsellCase | None:
    """The approved case's e-mail (outbox) and call (HYROCALL). Runs once: the move to
    outreach_started is the claim; each step is idempotent on its own key too."""
    case = UpsellCase.objects.for_tenant(tenant).select_related("lead", "ticket").get(pk=case_id)
    if case.status != CaseStatus.APPROVED:
        return case
    case_transition(case, CaseStatus.OUTREACH_STARTED, label="outreach")
    _send_email(tenant, case)
    _place_call(tenant, case)
    if case.call_state == ChannelState.PLACED:
        return case  # done when the call's outcome arrives
    return _finish(case)


def _set(case: UpsellCase, **fields) -> None:
    for name, value in fields.items():
        setattr(case, name, value)
    UpsellCase.objects.for_tenant(case.tenant_id).filter(pk=case.pk).update(**fields)


def _email_channel(tenant):
    return (
        Channel.objects.for_tenant(tenant)
        .filter(kind=ChannelKind.EMAIL, enabled=True)
        .order_by("created_at", "id")
        .first()
    )


def _send_email(tenant, case: UpsellCase) -> None:
    lead = case.lead
    if lead is None or not lead.email:
        _set(case, email_state=ChannelState.SKIPPED, email_detail="no e-mail address")
        return
    channel = _email_channel(tenant)
    if channel is None:
        _set(case, email_state=ChannelState.SKIPPED, email_detail="no e-mail channel connected")
        return
    try:
        with transaction.atomic():
            message = queue_message(
                tenant=tenant, lead=lead, channel=channel, subject=case.email_subject,
                body=case.email_body, marketing=True, source="upsell",
                source_ref=f"upsell_case:{case.pk}", idempotency_key=f"upsell:{case.pk}:email",
            )  # fmt: skip
    except ValidationFailed as refused:
        code = refused.extra.get("reason") or refused.code
        _set(
            case, email_state=ChannelState.SKIPPED, email_detail=f"{code}: {refused.message}"[:300]
        )
        return
    _set(case, email_state=ChannelState.QUEUED, message_id=message.pk, email_detail="")
    case_transition(case, CaseStatus.EMAIL_SENT, label="outbox", reason=f"message {message.pk}")


def callback_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("upsell-hyrocall-webhook")


def _place_call(tenant, case: UpsellCase) -> None:
    lead = case.lead
    phone = lead.phone if lead is not None else ""
    if not phone:
        _set(case, call_state=ChannelState.SKIPPED, call_detail="no phone number")
        return
    if not feature_enabled(tenant, CALL_TOOL):
        _set(case, call_state=ChannelState.SKIPPED, call_detail="HYROCALL is not in the plan")
        return
    platform = get_call_platform()
    request = CallRequest(
        phone=phone, script=case.call_script, callback_url=callback_url(),
        idempotency_key=f"upsell-case-{case.pk}-call",
        metadata={"case": str(case.pk), "tenant": str(tenant.pk)},
    )  # fmt: skip
    try:
        placed = platform.create_call(request)
    except ProviderError as exc:
        state = ChannelState.SKIPPED if exc.code == "offline" else ChannelState.FAILED
        _set(case, call_state=state, call_detail=f"{exc.code}: {exc.message}"[:300])
        return
    _set(case, call_state=ChannelState.PLACED, call_external_id=placed.call_id, call_detail="")
    case_transition(case, CaseStatus.CALL_PLACED, label=platform.provider, reason=placed.call_id)


def _finish(case: UpsellCase) -> UpsellCase:
    reached = case.email_state == ChannelState.QUEUED or case.call_state in (
        ChannelState.ANSWERED, ChannelState.NO_ANSWER, ChannelState.BUSY,
    )  # fmt: skip
    if reached:
        return case_transition(case, CaseStatus.DONE, label="outreach")
    why = (
        f"e-mail: {case.email_detail or case.email_state}; "
        f"call: {case.call_detail or case.call_state}"
    )
    return case_transition(case, CaseStatus.FAILED, label="outreach", reason=why[:500])


def call_outcome_record(outcome: CallOutcome) -> str:
    """A verified HYROCALL outcome: idempotent on the event id ("duplicate"), unknown calls
    are "ignored"; the case records the outcome and is done (or failed)."""
    case = (
        UpsellCase.objects.unscoped()
        .select_related("tenant")
        .filter(call_external_id=outcome.call_id)
        .first()
    )
    if case is None:
        return "ignored"
    try:
        with transaction.atomic():
            CallEvent.objects.create(
                tenant_id=case.tenant_id, event_id=outcome.event_id, case=case,
                outcome=outcome.outcome, payload={"duration_seconds": outcome.duration_seconds},
            )  # fmt: skip
            _set(
                case, call_state=outcome.outcome, call_summary=outcome.summary,
                call_transcript=outcome.transcript, call_detail="",
            )  # fmt: skip
            if case.status == CaseStatus.CALL_PLACED:
                _finish(case)
    except IntegrityError:
        return "duplicate"
    return "recorded"
