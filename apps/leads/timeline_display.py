"""How a timeline entry reads on the lead page: who, what (in words), when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from apps.leads.models import Lead, LeadStatus, Source, TimelineKind

_STATUS = dict(LeadStatus.choices)
_SOURCE = dict(Source.choices)
_KIND = dict(TimelineKind.choices)


@dataclass
class TimelineItem:
    kind: str
    title: str
    summary: str
    body: str
    actor: str
    at: datetime


def _person(user_id, names: dict) -> str:
    if user_id is None:
        return _("nobody")
    return names.get(user_id) or _("a former member")


def _list(list_id, lists: dict) -> str:
    if list_id is None:
        return _("no list")
    return lists.get(list_id) or _("a deleted list")


def _status(value) -> str:
    return str(_STATUS.get(value, value or "—"))


def _arrival(data: dict, merged: bool) -> str:
    source = str(_SOURCE.get(data.get("source"), data.get("source") or "—"))
    count = data.get("actions_added") or 0
    if merged:
        text = _("A new submission from %(source)s was merged into this lead") % {"source": source}
    else:
        text = _("Arrived from %(source)s") % {"source": source}
    if count:
        text += " · " + _("actions added: %(count)s") % {"count": count}
    return text


def _summary(kind: str, data: dict, names: dict, lists: dict) -> str:
    if kind in (TimelineKind.CREATED, TimelineKind.MERGED):
        return _arrival(data, merged=kind == TimelineKind.MERGED)
    if kind == TimelineKind.STATUS:
        text = f"{_status(data.get('from'))} → {_status(data.get('to'))}"
        if data.get("via"):
            text += " · " + _("changed in %(crm)s") % {"crm": data["via"]}
        return text
    if kind == TimelineKind.ASSIGNED:
        if data.get("to") is None:
            return _("Unassigned (was %(name)s)") % {"name": _person(data.get("from"), names)}
        return f"→ {_person(data.get('to'), names)}"
    if kind == TimelineKind.ESCALATED:
        return f"→ {_person(data.get('to'), names)}"
    if kind == TimelineKind.MOVED:
        return f"{_list(data.get('from'), lists)} → {_list(data.get('to'), lists)}"
    if kind == TimelineKind.UPDATED:
        return _("Changed by hand: %(fields)s") % {"fields": ", ".join(data.get("fields") or [])}
    if kind == TimelineKind.ENRICHED:
        return _enriched(data)
    return ""


def _label(name: str) -> str:
    try:
        return str(Lead._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _enriched(data: dict) -> str:
    """What an AI enrichment wrote ("company → Acme") and what it could not determine."""
    changes = data.get("changes") or {}
    parts = [f"{_label(name)} → {(change or {}).get('to', '')}" for name, change in changes.items()]
    text = "; ".join(parts) if parts else _("nothing new was found")
    missing = [_label(name) for name in data.get("not_determined") or []]
    if missing:
        text += " · " + _("not determined: %(fields)s") % {"fields": ", ".join(missing)}
    if data.get("offline"):
        text += " · " + _("offline heuristic")
    return text


def describe_entry(entry, names: dict, lists: dict) -> TimelineItem:
    """A TimelineEntry (actor joined) → what the lead page shows."""
    data = entry.data or {}
    if entry.actor_id is None:
        actor = _("Fast Lead") if entry.kind not in (TimelineKind.MESSAGE_IN,) else ""
    else:
        actor = names.get(entry.actor_id) or (
            entry.actor.name or entry.actor.email if entry.actor else _("a former member")
        )
    summary = _summary(entry.kind, data, names, lists)
    # An enrichment's body repeats its data in raw field names: the summary says it better.
    structured = entry.kind == TimelineKind.ENRICHED and "changes" in data
    return TimelineItem(
        kind=entry.kind,
        title=str(_KIND.get(entry.kind, entry.kind)),
        summary=summary,
        body="" if structured else entry.body,
        actor=actor,
        at=entry.created_at,
    )
