"""Where leads keeps a person's data (apps/core/personal_data.py), registered from
LeadsConfig.ready(): the lead itself, its actions and its timeline; and the company's retention
of import files (category "import_files")."""

from __future__ import annotations

from apps.core import private_files
from apps.core.personal_data import (
    BLANK,
    EMPTY_JSON,
    ERASED_JSON,
    NULL,
    REDACT,
    PersonalData,
    Retention,
    register_personal_data,
    register_retention,
)
from apps.leads.models import ImportJob, ImportStatus, Lead, LeadAction, TimelineEntry


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
    register_personal_data(*ENTRIES)
    register_retention(*RETENTION)
