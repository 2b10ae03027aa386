"""Every write to leads (besides ingestion, apps/leads/ingestion), lists and exports.

Each service is atomic, validates what it is given, records the timeline row(s) of what it
did and leaves an audit line (ids only: no personal data in logs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import Conflict, ObjectNotFound, ValidationFailed
from apps.core.events import emit
from apps.leads import selectors
from apps.leads.events import LeadStatusChanged, LeadsUpdated
from apps.leads.identity import InvalidPhone, identity_key, normalize_email, normalize_phone
from apps.leads.identity import person_key as make_person_key
from apps.leads.ingestion import writer
from apps.leads.ingestion.schema import email_is_valid
from apps.leads.models import (
    ExportFormat,
    Lead,
    LeadExport,
    LeadList,
    LeadStatus,
    ListKind,
    TimelineEntry,
    TimelineKind,
)
from apps.leads.tasks import export_leads_task
from apps.tenants.selectors import member_get

logger = structlog.get_logger("fastlead.audit")

PERSON_FIELDS = writer.FILL_FIELDS
MAX_BULK = 10_000
MAX_NOTE = 10_000
BULK_ACTIONS = ("status", "move", "assign", "delete")


def _actor_id(actor) -> int | None:
    if actor is None or getattr(actor, "is_api_key", False):
        return None
    return actor.pk


def _entry(lead: Lead, kind: str, actor, *, body: str = "", data: dict | None = None):
    return TimelineEntry(
        tenant_id=lead.tenant_id,
        lead=lead,
        kind=kind,
        actor_id=_actor_id(actor),
        body=body,
        data=data or {},
    )


# --- one lead -----------------------------------------------------------------------------


def _clean_person(field: str, value: Any) -> str:
    value = "" if value is None else str(value).strip()
    if field == "email":
        value = normalize_email(value)
        if value and not email_is_valid(value):
            raise ValidationFailed(
                _("Some fields are invalid."),
                fields={"email": [_("Enter a valid e-mail address.")]},
            )
    elif field == "phone":
        try:
            value = normalize_phone(value)
        except InvalidPhone:
            raise ValidationFailed(
                _("Some fields are invalid."),
                fields={"phone": [_("Enter a valid phone number, e.g. +7 916 123-45-67.")]},
            ) from None
    limit = Lead._meta.get_field(field).max_length
    if len(value) > limit:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={field: [_("Too long: at most %(max)s characters.") % {"max": limit}]},
        )
    return value


def _member_id(tenant, user_id) -> int | None:
    if user_id is None:
        return None
    try:
        return member_get(tenant, user_id).user_id
    except ObjectNotFound:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"assigned_to": [_("Not a member of this company.")]},
        ) from None


def _list_id(tenant, list_id) -> int | None:
    if list_id is None:
        return None
    try:
        return selectors.leadlist_get(tenant, list_id).pk
    except Http404:
        raise ValidationFailed(
            _("Some fields are invalid."), fields={"list": [_("No such list.")]}
        ) from None


def _rekey(lead: Lead) -> None:
    """E-mail/phone edited by hand: the lead's identity follows them (apps/leads/identity.py)."""
    try:
        person = make_person_key(email=lead.email, phone=lead.phone, lead_ref=lead.external_id)
    except ValueError:
        raise ValidationFailed(
            _("A lead needs an e-mail, a phone or a lead id."),
            fields={"email": [_("Give at least an e-mail, a phone or a lead_id.")]},
        ) from None
    ident = identity_key(person=person, customer_id=lead.customer_id, product_id=lead.product_id)
    if ident == lead.identity_key:
        return
    clash = (
        Lead.objects.for_tenant(lead.tenant_id)
        .filter(identity_key=ident)
        .exclude(pk=lead.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if clash:
        raise Conflict(
            _("Another lead already has this e-mail or phone for the same customer and product."),
            code="duplicate_lead",
            extra={"lead_id": clash},
        )
    lead.person_key, lead.identity_key = person, ident


def lead_update(*, tenant, actor, lead_id, changes: dict[str, Any], via: str = "") -> Lead:
    """Change status, assignee, list and person fields of a lead.

    `via` names where a status change came from when not from us (a CRM: "amoCRM"); the
    timeline shows it.

    Records a timeline entry per kind of change; person fields changed here are remembered in
    `manual_fields`, so merges and enrichment never overwrite them.
    """
    with transaction.atomic():
        lead = selectors.lead_get(tenant, lead_id, for_update=True)
        status_before = lead.status
        entries, updated = [], set()
        if "status" in changes:
            _apply_status(lead, changes["status"], actor, entries, updated, via=via)
        if "assigned_to" in changes:
            _apply_assignee(tenant, lead, changes["assigned_to"], actor, entries, updated)
        if "list" in changes:
            _apply_list(tenant, lead, changes["list"], actor, entries, updated)
        _apply_person(lead, changes, actor, entries, updated)
        if updated:
            lead.save(update_fields=[*updated, "updated_at"])
            TimelineEntry.objects.bulk_create(entries)
    if "status" in updated:
        emit(
            LeadStatusChanged(
                tenant_id=str(tenant.pk),
                status=lead.status,
                previous=((lead.pk, status_before),),
                actor_id=_actor_id(actor),
            )
        )
    if updated:
        _emit_updated(tenant, actor, (lead.pk,), updated)
    return selectors.lead_get(tenant, lead.pk)


_INTERNAL_FIELDS = {"person_key", "identity_key", "manual_fields", "not_determined"}
_PUBLIC_NAMES = {"list_id": "list", "assigned_to_id": "assigned_to"}


def _emit_updated(tenant, actor, lead_ids, fields) -> None:
    names = tuple(sorted({_PUBLIC_NAMES.get(f, f) for f in fields} - _INTERNAL_FIELDS))
    tenant_id, actor_id, ids = str(tenant.pk), _actor_id(actor), tuple(lead_ids)
    emit(LeadsUpdated(tenant_id=tenant_id, lead_ids=ids, fields=names, actor_id=actor_id))


def _apply_status(lead, status, actor, entries, updated, *, via: str = "") -> None:
    if status not in LeadStatus.values:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"status": [_("Must be one of: %(v)s.") % {"v": ", ".join(LeadStatus.values)}]},
        )
    if status != lead.status:
        data = {"from": lead.status, "to": status} | ({"via": via} if via else {})
        entries.append(_entry(lead, TimelineKind.STATUS, actor, data=data))
        lead.status = status
        updated.add("status")
        if status == LeadStatus.CONTACTED and lead.first_contact_at is None:
            lead.first_contact_at = timezone.now()
            updated.add("first_contact_at")


def _apply_assignee(tenant, lead, user_id, actor, entries, updated) -> None:
    user_id = _member_id(tenant, user_id)
    if user_id != lead.assigned_to_id:
        data = {"from": lead.assigned_to_id, "to": user_id}
        entries.append(_entry(lead, TimelineKind.ASSIGNED, actor, data=data))
        lead.assigned_to_id = user_id
        updated.add("assigned_to")


def _apply_list(tenant, lead, list_id, actor, entries, updated) -> None:
    list_id = _list_id(tenant, list_id)
    if list_id != lead.list_id:
        entries.append(
            _entry(lead, TimelineKind.MOVED, actor, data={"from": lead.list_id, "to": list_id})
        )
        lead.list_id = list_id
        updated.add("list")


def _apply_person(lead, changes, actor, entries, updated) -> None:
    changed = []
    for field in PERSON_FIELDS:
        if field not in changes:
            continue
        value = _clean_person(field, changes[field])
        if value != getattr(lead, field):
            setattr(lead, field, value)
            changed.append(field)
    if not changed:
        return
    if {"email", "phone"} & set(changed):
        _rekey(lead)
        updated.update(("person_key", "identity_key"))
    lead.manual_fields = sorted(set(lead.manual_fields or []) | set(changed))
    updated.update((*changed, "manual_fields"))
    if set(changed) & set(lead.not_determined or {}):  # a hand edit settles "not determined"
        lead.not_determined = {k: v for k, v in lead.not_determined.items() if k not in changed}
        updated.add("not_determined")
    entries.append(_entry(lead, TimelineKind.UPDATED, actor, data={"fields": changed}))


def lead_note_add(*, tenant, actor, lead_id, body: str) -> TimelineEntry:
    """A note on the lead's timeline."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            _("Write the note."), fields={"body": [_("This field cannot be empty.")]}
        )
    if len(body) > MAX_NOTE:
        raise ValidationFailed(
            _("The note is too long."),
            fields={"body": [_("Too long: at most %(max)s characters.") % {"max": MAX_NOTE}]},
        )
    lead = selectors.lead_get(tenant, lead_id)
    entry = _entry(lead, TimelineKind.NOTE, actor, body=body)
    entry.save()
    return entry


def lead_escalate(*, tenant, actor, lead_id, assignee_id, status: str = LeadStatus.CONTACTED):
    """Hand a lead to a person's inbox: assign it, set its status, mark the escalation."""
    with transaction.atomic():
        lead = lead_update(
            tenant=tenant,
            actor=actor,
            lead_id=lead_id,
            changes={"assigned_to": assignee_id, "status": status},
        )
        _entry(lead, TimelineKind.ESCALATED, actor, data={"to": lead.assigned_to_id}).save()
    return lead


def lead_delete(*, tenant, actor, lead_id) -> None:
    """Delete a lead with its actions and timeline."""
    with transaction.atomic():
        lead = selectors.lead_get(tenant, lead_id, for_update=True)
        pk = lead.pk
        lead.delete()
    logger.info("lead_deleted", tenant_id=str(tenant.pk), lead_id=pk, actor_id=_actor_id(actor))


# --- many leads ---------------------------------------------------------------------------


@dataclass
class BulkResult:
    action: str
    matched: int
    changed: int

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "matched": self.matched, "changed": self.changed}


def _bulk_targets(tenant, ids, filters) -> list[tuple]:
    if ids is not None:
        query = Lead.objects.for_tenant(tenant).filter(pk__in=ids)
    else:
        query = selectors.lead_filter(tenant, filters).order_by()
    rows = list(query.values_list("pk", "status", "list_id", "assigned_to_id")[: MAX_BULK + 1])
    if len(rows) > MAX_BULK:
        raise ValidationFailed(
            _("At most %(max)s leads at a time: narrow the filter.") % {"max": MAX_BULK},
            code="too_many_leads",
        )
    return rows


def leads_bulk(
    *, tenant, actor, action: str, value=None, ids: list[int] | None = None, filters=None
) -> BulkResult:
    """Apply one action (status, move, assign, delete) to leads chosen by ids or a filter."""
    if action not in BULK_ACTIONS:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"action": [_("Must be one of: %(v)s.") % {"v": ", ".join(BULK_ACTIONS)}]},
        )
    if (ids is None) == (filters is None):
        raise ValidationFailed(_("Give either ids or a filter."), code="invalid")
    with transaction.atomic():
        rows = _bulk_targets(tenant, ids, filters)
        changed = _BULK[action](tenant, actor, rows, value)
    logger.info(
        "leads_bulk",
        tenant_id=str(tenant.pk),
        action=action,
        matched=len(rows),
        changed=changed,
        actor_id=_actor_id(actor),
    )
    return BulkResult(action, len(rows), changed)


def _bulk_set(tenant, actor, rows, column: int, field: str, value, kind: str) -> int:
    targets = [(row[0], row[column]) for row in rows if row[column] != value]
    if not targets:
        return 0
    now = timezone.now()
    Lead.objects.for_tenant(tenant).filter(pk__in=[pk for pk, _old in targets]).update(
        **{field: value}, updated_at=now
    )
    actor_id = _actor_id(actor)
    writer.insert_timeline(
        [
            (tenant.pk, pk, kind, actor_id, "", {"from": old, "to": value}, now)
            for pk, old in targets
        ]
    )
    _emit_updated(tenant, actor, [pk for pk, _old in targets], (field,))
    return len(targets)


def _bulk_status(tenant, actor, rows, value) -> int:
    if value not in LeadStatus.values:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"value": [_("Must be one of: %(v)s.") % {"v": ", ".join(LeadStatus.values)}]},
        )
    changed = _bulk_set(tenant, actor, rows, 1, "status", value, TimelineKind.STATUS.value)
    previous = tuple((row[0], row[1]) for row in rows if row[1] != value)
    if value == LeadStatus.CONTACTED and previous:
        Lead.objects.for_tenant(tenant).filter(
            pk__in=[pk for pk, _old in previous], first_contact_at__isnull=True
        ).update(first_contact_at=timezone.now())
    if previous:
        emit(
            LeadStatusChanged(
                tenant_id=str(tenant.pk), status=value, previous=previous, actor_id=_actor_id(actor)
            )
        )
    return changed


def _bulk_move(tenant, actor, rows, value) -> int:
    list_id = _list_id(tenant, value)
    return _bulk_set(tenant, actor, rows, 2, "list_id", list_id, TimelineKind.MOVED.value)


def _bulk_assign(tenant, actor, rows, value) -> int:
    user_id = _member_id(tenant, value)
    return _bulk_set(tenant, actor, rows, 3, "assigned_to_id", user_id, TimelineKind.ASSIGNED.value)


def _bulk_delete(tenant, actor, rows, value) -> int:
    Lead.objects.for_tenant(tenant).filter(pk__in=[row[0] for row in rows]).delete()
    return len(rows)


_BULK = {
    "status": _bulk_status,
    "move": _bulk_move,
    "assign": _bulk_assign,
    "delete": _bulk_delete,
}


# --- lists --------------------------------------------------------------------------------


def _list_name(tenant, name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Name the list."), fields={"name": [_("This field cannot be empty.")]}
        )
    if len(name) > 200:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"name": [_("Too long: at most %(max)s characters.") % {"max": 200}]},
        )
    taken = LeadList.objects.for_tenant(tenant).filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _name_taken()
    return name


def _name_taken() -> Conflict:
    return Conflict(_("A list with this name already exists."), code="list_name_taken")


def leadlist_create(
    *, tenant, actor, name: str, kind: str = ListKind.REGULAR, description: str = ""
) -> LeadList:
    """A new list; names are unique per company (case-insensitive) → 409 otherwise."""
    if kind not in ListKind.values:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"kind": [_("Must be one of: %(v)s.") % {"v": ", ".join(ListKind.values)}]},
        )
    name = _list_name(tenant, name)
    try:
        with transaction.atomic():
            return LeadList.objects.create(
                tenant=tenant,
                name=name,
                kind=kind,
                description=description or "",
                created_by_id=_actor_id(actor),
            )
    except IntegrityError:
        raise _name_taken() from None


def leadlist_update(*, tenant, actor, list_id, changes: dict[str, Any]) -> LeadList:
    lead_list = selectors.leadlist_get(tenant, list_id)
    if "name" in changes:
        lead_list.name = _list_name(tenant, changes["name"], exclude_pk=lead_list.pk)
    if "description" in changes:
        lead_list.description = changes["description"] or ""
    if "kind" in changes:
        if changes["kind"] not in ListKind.values:
            raise ValidationFailed(
                _("Some fields are invalid."),
                fields={"kind": [_("Must be one of: %(v)s.") % {"v": ", ".join(ListKind.values)}]},
            )
        lead_list.kind = changes["kind"]
    try:
        with transaction.atomic():
            lead_list.save()
    except IntegrityError:
        raise _name_taken() from None
    return lead_list


def leadlist_delete(*, tenant, actor, list_id) -> None:
    """Delete a list; its leads stay, outside any list."""
    lead_list = selectors.leadlist_get(tenant, list_id)
    with transaction.atomic():
        Lead.objects.for_tenant(tenant).filter(list_id=lead_list.pk).update(list_id=None)
        lead_list.delete()
    logger.info(
        "lead_list_deleted", tenant_id=str(tenant.pk), list_id=list_id, actor_id=_actor_id(actor)
    )


# --- background exports -------------------------------------------------------------------


def lead_export_start(*, tenant, actor, fmt: str, params: dict[str, Any]) -> LeadExport:
    """Queue a background export of the filter `params` (query parameters, re-parsed by the
    task); the task runs after commit."""
    if fmt not in ExportFormat.values:
        raise ValidationFailed(
            _("Some fields are invalid."), fields={"format": [_("Must be one of: csv, xlsx.")]}
        )
    export = LeadExport.objects.create(
        tenant=tenant, format=fmt, filters=params, created_by_id=_actor_id(actor)
    )
    transaction.on_commit(lambda: export_leads_task.delay(str(tenant.pk), export.pk))
    return export
