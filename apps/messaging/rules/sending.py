"""The action of a matched decision, inside the decision's transaction.

`send`: the message goes into the outbox (apps/messaging/outbox.py; a batch of decisions keeps
one outbox batch, stored with its decisions) in the same transaction as the decision, keyed by
the decision id, so a decision is delivered at least once and never
twice. The outbox refuses marketing without consent, suppressed addresses, missing addresses
and closed WhatsApp windows; the decision records which.
`alert`: an e-mail to the tenant's admins and operators, handed to a worker after commit
(alert_tasks.py: a mail server that is down is tried again; the rules do not wait on it).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import translation
from django.utils.translation import gettext as _

from apps.channels.models import Channel, ChannelStatus
from apps.messaging.errors import NoAddress, NoChannel, OutsideWhatsAppWindow, Suppressed, TooLong
from apps.messaging.models import Message
from apps.messaging.outbox import OutboxBatch
from apps.messaging.rules.alert_tasks import alert_hand_over
from apps.messaging.rules.models import Action, Decision, Outcome
from apps.messaging.rules.templating import MissingVariable, render_template
from apps.tenants.models import Membership
from apps.tenants.roles import Role

LANGUAGES = ("ru", "en")


def perform(decision, *, channel_for=None, team=None, later=None, outbox=None) -> None:
    """Act on a decision set queued (stored, or stored with its batch); updates its outcome
    when it cannot. A batch passes `channel_for(kind)` and `team()` (it remembers the
    channels and the alerts' recipients), its `outbox` (messages are checked at once and
    stored together when the batch ends) and `later(decision, queued)` (it writes the
    message ids and stored decisions' outcomes at its end, once its outbox is stored).
    Alone, the message is stored now."""
    if outbox is None:
        outbox, held = OutboxBatch(decision.tenant), []
        perform(
            decision,
            channel_for=channel_for,
            team=team,
            later=lambda d, queued=None: held.append((d, queued)),
            outbox=outbox,
        )
        outbox.commit()
        for held_decision, queued in held:
            if queued is not None:
                held_decision.message_id = queued.message.pk
            held_decision.save(update_fields=list(LATER_FIELDS))
        return
    if decision.version.action == Action.ALERT:
        _alert(decision, later, team or (lambda: team_addresses(decision.tenant)))
    else:
        _send(
            decision,
            channel_for or (lambda kind: channel_for_kind(decision.tenant, kind)),
            later,
            outbox,
        )


KEY_PREFIX = "rule-decision:"  # a decision's message: this and the decision's id


def message_ids_write(tenant, decisions) -> None:
    """The message ids of decisions stored with their batch, in one update (each decision's
    message is the one its key names)."""
    key = Concat(Value(KEY_PREFIX), Cast(OuterRef("pk"), CharField()))
    message = Message.objects.for_tenant(tenant).filter(idempotency_key=key).values("pk")[:1]
    Decision.objects.filter(tenant=tenant, pk__in=[d.pk for d in decisions]).update(
        message_id=Subquery(message)
    )


LATER_FIELDS = ("outcome", "details", "message_id")


def language_of(decision) -> str:
    wanted = str((decision.event.properties or {}).get("language", "")).lower()[:2]
    return wanted if wanted in LANGUAGES else "ru"


def _send(decision, channel_for, later, outbox) -> None:
    if decision.lead is None:
        return _finish(decision, Outcome.FAILED, "no_lead")
    try:
        subject, body = _render(decision)
    except MissingVariable as missing:
        return _finish(decision, Outcome.FAILED, "missing_variable", {"name": missing.name})
    channel = None
    if decision.version.channel:
        channel = channel_for(decision.version.channel)
        if channel is None:
            return _finish(decision, Outcome.FAILED, "no_channel")
    try:
        queued = outbox.add(
            lead=decision.lead,
            body=body,
            subject=subject,
            channel=channel,
            marketing=decision.version.marketing,
            source="rule",
            # the decision is stored with its batch, before the batch's messages
            idempotency_key=lambda: (f"{KEY_PREFIX}{decision.pk}", str(decision.pk)),
        )
    except Suppressed as refused:
        if refused.reason == "no_consent":
            return _finish(decision, Outcome.SUPPRESSED, "no_consent")
        return _finish(decision, Outcome.SUPPRESSED, "opted_out", {"why": refused.reason})
    except NoAddress:
        return _finish(decision, Outcome.FAILED, "no_address")
    except NoChannel:
        return _finish(decision, Outcome.FAILED, "no_channel")
    except OutsideWhatsAppWindow:
        return _finish(decision, Outcome.FAILED, "outside_window")
    except TooLong as too_long:
        return _finish(decision, Outcome.FAILED, "too_long", {"message": too_long.message})
    later(decision, queued)


def channel_for_kind(tenant, kind: str) -> Channel | None:
    """The company's first enabled, connected channel of that kind."""
    return (
        Channel.objects.for_tenant(tenant)
        .filter(kind=kind, enabled=True, status=ChannelStatus.CONNECTED)
        .order_by("created_at", "id")
        .first()
    )


def _render(decision) -> tuple[str, str]:
    event = decision.event
    return render_template(
        decision.version.template,
        language_of(decision),
        lead=decision.lead,
        properties=event.properties or {},
        event_type=event.event_type,
        tenant=decision.tenant,
    )


def _finish(decision, outcome: str, reason: str, details: dict | None = None) -> None:
    decision.outcome, decision.reason = outcome, reason
    decision.details = details or {}
    decision.dedup_key = None  # a refused send does not use up a "once" limit
    if decision.pk is not None:  # else it is stored with its batch
        decision.save(update_fields=["outcome", "reason", "details", "dedup_key"])


def _alert(decision, later, team) -> None:
    recipients = team()
    if not recipients:
        return _finish(decision, Outcome.FAILED, "no_team")
    subject, body = _alert_text(decision)
    transaction.on_commit(lambda: alert_hand_over(decision, subject, body, recipients), robust=True)
    decision.outcome, decision.details = Outcome.SENT, {"recipients": len(recipients)}
    later(decision)


def team_addresses(tenant) -> list[str]:
    roles = (Role.ADMIN, Role.OPERATOR)
    rows = Membership.objects.filter(tenant=tenant, role__in=roles).select_related("user")
    return sorted({m.user.email for m in rows if m.user.email})


def _alert_text(decision) -> tuple[str, str]:
    template = decision.version.template
    if template is not None:
        try:
            return _render(decision)
        except MissingVariable:
            pass  # the alert still goes out, with the plain text below
    event = decision.event
    with translation.override("ru"):
        subject = _("Alert: %(rule)s") % {"rule": decision.rule.name}
        body = _("Rule “%(rule)s” fired on event %(type)s (%(id)s) for subject %(subject)s.") % {
            "rule": decision.rule.name,
            "type": event.event_type,
            "id": event.event_id,
            "subject": decision.subject,
        }
    return subject, body
