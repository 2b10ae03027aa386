"""Where leads keeps a person's data (apps/core/personal_data.py), registered from
apps/leads/wiring.py: the lead itself, its actions and its timeline, the import and export files
that name the person; and the company's retention of import files (category "import_files")."""

from __future__ import annotations

import io
import zipfile

from django.core.files.storage import default_storage
from django.db import transaction

from apps.core import private_files
from apps.core.personal_data import (
    BLANK,
    EMPTY_JSON,
    ERASED_JSON,
    NULL,
    REDACT,
    FoundByAddress,
    Person,
    PersonalData,
    Retention,
    register_personal_data,
    register_retention,
)
from apps.leads.models import (
    ImportJob,
    ImportStatus,
    Lead,
    LeadAction,
    LeadExport,
    TimelineEntry,
    WidgetIntake,
)


def _no(value, row) -> bool:
    return False


def _erased_key(value, row) -> str:
    """Identity keys hold the e-mail or phone and are unique per company."""
    return f"erased:{row.pk}"


LEAD = PersonalData(
    "leads.lead",
    model=Lead,
    lead="pk",
    label="Lead",
    fields={
        "name": REDACT,
        "email": BLANK,
        "phone": BLANK,
        "company": BLANK,
        "role": BLANK,
        "website": BLANK,
        "external_id": BLANK,
        "pain_point": BLANK,
        "consent_source": BLANK,
        "person_key": _erased_key,
        "identity_key": _erased_key,
        "not_determined": EMPTY_JSON,
        "manual_fields": EMPTY_JSON,
        "consent_processing": _no,
        "consent_processing_at": NULL,
        "consent_marketing": _no,
        "consent_marketing_at": NULL,
    },
    identifier_fields=("email", "phone"),
    context_fields=(
        "id",
        "created_at",
        "status",
        "source",
        "industry",
        "company_size",
    ),
)

ENTRIES = (
    LEAD,
    PersonalData(
        "leads.leadaction",
        model=LeadAction,
        lead="lead",
        label="Lead actions",
        fields={"metadata": ERASED_JSON},
        context_fields=("id", "action_type", "occurred_at", "channel"),
    ),
    PersonalData(
        "leads.timelineentry",
        model=TimelineEntry,
        lead="lead",
        label="Timeline",
        fields={"body": REDACT, "data": ERASED_JSON},
        context_fields=("id", "kind", "created_at"),
    ),
    # The widget's queue: a submission waits here until a drain stores it (then its payload is
    # emptied), and one that could not be stored keeps its form for KEEP_FAILED days. Such a
    # row has no lead: it is found by the e-mail or phone its form gave.
    PersonalData(
        "leads.widgetintake",
        model=WidgetIntake,
        label="Queued widget submissions",
        find=FoundByAddress(
            WidgetIntake, ("payload__item__email", "payload__item__phone"), lead="lead_id"
        ),
        fields={"payload": ERASED_JSON},
        context_fields=("id", "received_at", "stored_at", "failed_at", "error"),
        erase="delete",
    ),
)


def _purge_import_files(rows) -> int:
    """The uploaded file and its report of rejected rows go; the job row stays (its page says
    the file is no longer available), as with LEADS_FILE_RETENTION_DAYS (retention.py)."""
    purged = 0
    for job in rows.exclude(file="", report="").iterator():
        private_files.delete(job.file.name)
        private_files.delete(job.report.name)
        ImportJob.objects.unscoped().filter(pk=job.pk).update(file="", report="")
        purged += 1
    return purged


RETENTION = (
    Retention(
        "import_files",
        model=ImportJob,
        date_field="created_at",
        purge=_purge_import_files,
        extra={"status__in": (ImportStatus.DONE, ImportStatus.FAILED)},
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES, *FILES)
    register_retention(*RETENTION)


# --- files that may name the person -------------------------------------------------------
# An import upload, its report of rejected rows and an export are whole files: a person cannot
# be cut out of them. Erasure deletes every such file of the company that names the person
# (the job row stays: its page says the file is no longer available).


def _needles(identifiers) -> list[str]:
    found = set()
    for value in identifiers:
        value = str(value).strip().lower()
        digits = "".join(ch for ch in value if ch.isdigit())
        found.add(value)
        if "@" not in value and len(digits) >= 10:
            found.add(digits[-10:])  # a phone however it was written: its last ten digits
    return [n for n in found if len(n) >= 5]


def _file_text(name: str) -> str:
    if not private_files.exists(name):
        return ""
    with default_storage.open(name, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"PK":  # xlsx: the cells are in the zipped XML
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"".join(archive.read(n) for n in archive.namelist())
    return (raw.decode("utf-8", "ignore") + raw.decode("cp1251", "ignore")).lower()


def _mentions(name: str, needles: list[str]) -> bool:
    if not name or not needles:
        return False
    text = _file_text(name)
    plain = "".join(ch for ch in text if ch.isdigit() or ch in "@.")
    return any(n in text or (n.isdigit() and n in plain) for n in needles)


def _jobs_naming(person: Person):
    needles = _needles(person.identifiers)
    jobs = (
        ImportJob.objects.unscoped().filter(tenant_id=person.tenant_id).exclude(file="", report="")
    )
    ids = [
        job.pk
        for job in jobs.only("pk", "file", "report").iterator()
        if _mentions(job.file.name, needles) or _mentions(job.report.name, needles)
    ]
    return ImportJob.objects.unscoped().filter(pk__in=ids)


def _exports_naming(person: Person):
    needles = _needles(person.identifiers)
    exports = LeadExport.objects.unscoped().filter(tenant_id=person.tenant_id).exclude(file="")
    ids = [e.pk for e in exports.only("pk", "file").iterator() if _mentions(e.file, needles)]
    return LeadExport.objects.unscoped().filter(pk__in=ids)


def _file_gone(value, row) -> str:
    """The stored file is deleted once the erasure commits; the field is emptied now."""
    name = getattr(value, "name", value) or ""
    if name:
        transaction.on_commit(lambda: private_files.delete(name))
    return ""


FILES = (
    PersonalData(
        "leads.importjob",
        model=ImportJob,
        find=_jobs_naming,
        label="Import files naming the person",
        fields={"file": _file_gone, "report": _file_gone},
        context_fields=("id", "created_at", "original_name"),
    ),
    PersonalData(
        "leads.leadexport",
        model=LeadExport,
        find=_exports_naming,
        label="Export files naming the person",
        fields={"file": _file_gone},
        context_fields=("id", "created_at", "format"),
    ),
)
