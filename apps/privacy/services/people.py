"""One person's data across every registered model (apps/core/personal_data.py): gathered for
an export (JSON and CSV), or erased — personal fields anonymized, money records kept without
the person — in one transaction, with an audit row and a receipt to whoever asked."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from apps.core.csv_safety import csv_safe_row
from apps.core.personal_data import Person, PersonalData, anonymized, personal_data_entries
from apps.privacy.models import ConsentPurpose, ConsentRecord, PersonalDataRequest, RequestKind
from apps.privacy.tasks import send_erasure_receipt_task
from apps.tenants.audit import AuditAction, audit_record


def lead_person(tenant, lead) -> Person:
    """The lead as a person, with every e-mail, phone and address it is known by."""
    base = Person(tenant_id=tenant.pk, lead_id=lead.pk)
    return Person(tenant_id=tenant.pk, lead_id=lead.pk, identifiers=_identifiers(base))


def user_person(user) -> Person:
    base = Person(user_id=user.pk)
    return Person(user_id=user.pk, identifiers=_identifiers(base))


def _identifiers(person: Person) -> frozenset[str]:
    found: set[str] = set()
    for entry in personal_data_entries():
        if not entry.identifier_fields or entry.find is not None:
            continue
        for values in entry.rows(person).values_list(*entry.identifier_fields):
            found.update(str(v).strip() for v in values if v)
    return frozenset(found)


# --- export -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value


def person_data(person: Person) -> dict[str, dict]:
    """{entry key: {"label", "rows": [{field: value}]}} for every place holding the person."""
    data: dict[str, dict] = {}
    for entry in personal_data_entries():
        names = entry.export_fields()
        rows = [
            {name: _plain(value) for name, value in zip(names, values, strict=True)}
            for values in entry.rows(person).order_by("pk").values_list(*names)
        ]
        if rows:
            data[entry.key] = {"label": entry.label or entry.key, "rows": rows}
    return data


def person_csv(data: dict[str, dict]) -> str:
    """One line per value: place, row id, field, value (the places have different columns)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["place", "row_id", "field", "value"])
    for key, place in data.items():
        for row in place["rows"]:
            for name, value in row.items():
                text = (
                    json.dumps(value, ensure_ascii=False)
                    if isinstance(value, dict | list)
                    else value
                )
                writer.writerow(csv_safe_row([key, row.get("id", ""), name, text]))
    return out.getvalue()


def person_zip(data: dict[str, dict], *, stem: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(f"{stem}.csv", "\ufeff" + person_csv(data))  # BOM: Excel reads UTF-8
    return buffer.getvalue()


def lead_data_export(*, tenant, lead, actor, request=None) -> dict[str, dict]:
    """The lead's data, with an audit row saying who exported it."""
    data = person_data(lead_person(tenant, lead))
    with transaction.atomic():
        _request_record(tenant, RequestKind.EXPORT, "lead", lead.pk, actor, _counts(data))
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.PERSONAL_DATA_EXPORTED,
            target=lead,
            after={"places": _counts(data)},
            request=request,
        )
    return data


def user_data_export(*, user, request=None) -> dict[str, dict]:
    """One of our users' own data (their account, addresses, invitations, audit names)."""
    data = person_data(user_person(user))
    audit_record(
        tenant=None,
        actor=user,
        action=AuditAction.PERSONAL_DATA_EXPORTED,
        target=("accounts.user", user.pk),
        after={"places": _counts(data)},
        request=request,
    )
    return data


def _counts(data: dict[str, dict]) -> dict[str, int]:
    return {key: len(place["rows"]) for key, place in data.items()}


def _request_record(tenant, kind, subject_type, subject_id, actor, summary):
    return PersonalDataRequest.objects.create(
        tenant=tenant,
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        requested_by=_person_actor(actor),
        summary=summary,
    )


# --- erasure ------------------------------------------------------------------------------


def _erase_entry(entry: PersonalData, person: Person) -> int:
    rows = entry.rows(person)
    if entry.erase == "delete" and not entry.money:
        count, _by_model = rows.delete()
        return count
    manager = entry.model._base_manager
    count = 0
    for row in rows.only("pk", *entry.fields).iterator():
        manager.filter(pk=row.pk).update(**anonymized(entry, row))
        count += 1
    return count


def person_erase(person: Person) -> dict[str, int]:
    """Anonymize (or delete) the person's rows in every registered place; {key: rows}."""
    summary: dict[str, int] = {}
    # Entries that find rows by identifiers (suppressions, invitations) go first: the lead's
    # own addresses they are found by are about to be erased.
    entries = sorted(personal_data_entries(), key=lambda e: e.find is None)
    for entry in entries:
        count = _erase_entry(entry, person)
        if count:
            summary[entry.key] = count
    return summary


@transaction.atomic
def lead_erase(*, tenant, lead, actor, request=None) -> PersonalDataRequest:
    """Erase a lead: nothing personal is left, nothing is half-written; the lead row stays
    (anonymized) so money records and counts still add up, and it is never processed or
    messaged again (a withdrawal of every consent is recorded)."""
    person = lead_person(tenant, lead)
    summary = person_erase(person)
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(tenant=tenant, lead=lead, purpose=purpose, granted=False,
                      source="erasure", actor=_person_actor(actor), created_at=now)
        for purpose in ConsentPurpose.values
    )  # fmt: skip
    record = _request_record(tenant, RequestKind.ERASURE, "lead", lead.pk, actor, summary)
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.PERSONAL_DATA_ERASED,
        target=lead,
        after={"places": summary},
        request=request,
    )
    _receipt_on_commit(record, actor)
    return record


@transaction.atomic
def user_erase(*, user, actor, request=None) -> PersonalDataRequest | None:
    """Erase one of our users (staff console): the account can no longer sign in, its
    personal fields are anonymized, what it did stays in the audit log by id."""
    person = user_person(user)
    summary = person_erase(person)
    type(user)._base_manager.filter(pk=user.pk).update(is_active=False, password="!erased")
    audit_record(
        tenant=None,
        actor=actor,
        action=AuditAction.PERSONAL_DATA_ERASED,
        target=("accounts.user", user.pk),
        after={"places": summary},
        request=request,
    )
    return None


def _person_actor(actor):
    return (
        actor
        if getattr(actor, "is_authenticated", False) and not getattr(actor, "is_api_key", False)
        else None
    )


def _receipt_on_commit(record: PersonalDataRequest, actor) -> None:
    key = getattr(actor, "api_key", None)  # an API key's receipt goes to whoever created it
    recipient = _person_actor(actor) or (key.created_by if key is not None else None)
    if recipient is not None and recipient.email:
        transaction.on_commit(
            lambda: send_erasure_receipt_task.delay(str(record.tenant_id), record.pk, recipient.pk)
        )
