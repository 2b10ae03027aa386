"""Decisions in words ("why was this sent"), in Russian and English, from the stored code and
values: the words can improve without touching the history."""

from __future__ import annotations

import json

from django.utils import translation
from django.utils.translation import gettext as _

from apps.messaging.rules.models import Outcome

OPS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "∈"}


def reason_texts(decision) -> dict[str, str]:
    """{"ru": …, "en": …} for one decision."""
    texts = {}
    for language in ("ru", "en"):
        with translation.override(language):
            texts[language] = reason_text(decision)
    return texts


def reason_text(decision) -> str:
    """The decision in words, in the active language."""
    rule = decision.rule.code
    version = decision.version.number
    head = _("Rule %(rule)s (version %(version)s): ") % {"rule": rule, "version": version}
    return head + _body(decision)


def _body(decision) -> str:
    outcome, reason, details = decision.outcome, decision.reason, decision.details or {}
    if outcome == Outcome.NOT_MATCHED:
        return _not_matched(details)
    if outcome == Outcome.SUPPRESSED:
        return _suppressed(decision, reason, details)
    if outcome == Outcome.SCHEDULED:
        due = decision.due_at.isoformat() if decision.due_at else "?"
        if reason == "quiet_hours":
            return _("matched; deferred past the quiet hours until %(due)s.") % {"due": due}
        return _("waiting for its delay; evaluated at %(due)s.") % {"due": due}
    if outcome == Outcome.FAILED:
        return _failed(reason, details)
    if decision.version.action == "alert":
        return _("matched; the team was alerted by e-mail.")
    if outcome == Outcome.SENT:
        return _("matched; the message was sent (message %(id)s).") % {"id": decision.message_id}
    return _("matched; the message was queued for sending (message %(id)s).") % {
        "id": decision.message_id
    }


def failure_text(failure: dict) -> str:
    """A failed condition in words (the editor's "would this match?")."""
    return _not_matched(failure)


def _not_matched(details: dict) -> str:
    if details.get("kind") == "any":
        parts = [_condition(f) for f in details.get("failures", [])]
        return _("not matched: none of these held: %(parts)s.") % {"parts": "; ".join(parts)}
    return _("not matched: %(condition)s.") % {"condition": _condition(details)}


def _condition(failure: dict) -> str:
    if failure.get("kind") == "history":
        values = {"event": failure["event"], "hours": failure["within_hours"]}
        if failure["happened"]:
            text = (
                _("no %(event)s within %(hours)s h after it")
                if failure["after"]
                else _("no %(event)s within %(hours)s h before it")
            )
        else:
            text = (
                _("%(event)s happened within %(hours)s h after it")
                if failure["after"]
                else _("%(event)s happened within %(hours)s h before it")
            )
        return text % values
    if failure.get("kind") == "any":
        return _not_matched(failure)
    expected = f"{OPS.get(failure['op'], failure['op'])} {_show(failure.get('expected'))}"
    if failure["op"] == "exists":
        expected = _("should exist") if failure.get("expected", True) else _("should be absent")
    actual = _("absent") if failure.get("missing") else _show(failure.get("actual"))
    return _("%(field)s %(expected)s, actual value %(actual)s") % {
        "field": failure["field"],
        "expected": expected,
        "actual": actual,
    }


def _show(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _suppressed(decision, reason: str, details: dict) -> str:
    earlier = decision.earlier_id
    if reason == "limit_once":
        text = _("suppressed: once per subject, already done by decision %(earlier)s.")
    elif reason == "limit_once_day":
        text = _(
            "suppressed: once per subject a day, already done on %(day)s by decision %(earlier)s."
        )
    elif reason == "limit_window":
        text = _(
            "suppressed: at most %(max_count)s in %(window_hours)s h, "
            "the last by decision %(earlier)s."
        )
    elif reason == "no_consent":
        return _("suppressed: no consent to marketing messages.")
    else:
        return _("suppressed: the address opted out (suppression list).")
    return text % {**details, "earlier": earlier}


def _failed(reason: str, details: dict) -> str:
    texts = {
        "no_lead": _("failed: the subject has no lead with a contact to send to."),
        "no_address": _("failed: the lead has no address on this channel."),
        "no_channel": _("failed: no connected channel of this kind."),
        "too_long": _("failed: the message is too long for the channel."),
        "outside_window": _("failed: the WhatsApp 24-hour window is closed."),
        "no_team": _("failed: no admin or operator with an e-mail to alert."),
        "alert_undelivered": _(
            "failed: the alert e-mail could not be sent (the mail server or the task queue "
            "stayed unavailable through every retry)."
        ),
    }
    if reason == "missing_variable":
        return _("failed: the template variable %(name)s has no value.") % details
    return texts.get(reason, _("failed."))
