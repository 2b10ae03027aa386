"""Reads of import jobs, tenant first; foreign and missing jobs answer 404."""

from __future__ import annotations

from contextlib import closing
from itertools import islice

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from apps.core.errors import ObjectNotFound
from apps.leads.imports.reader import PREVIEW_ROWS, ImportFileError, iter_data_rows
from apps.leads.models_imports import ImportJob

RECENT_IMPORTS = 10


def import_jobs(tenant) -> QuerySet:
    return (
        ImportJob.objects.for_tenant(tenant)
        .select_related("created_by", "lead_list")
        .order_by("-created_at", "-pk")
    )


def import_jobs_recent(tenant, limit: int = RECENT_IMPORTS) -> list[ImportJob]:
    return list(import_jobs(tenant)[:limit])


def import_job_get(tenant, job_id) -> ImportJob:
    try:
        return import_jobs(tenant).get(pk=int(job_id))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


def import_preview(job: ImportJob, rows: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first data rows of the job's file, each padded/cut to the number of columns."""
    width = len(job.headers)
    try:
        with closing(default_storage.open(job.file.name, "rb")) as stream:
            data = iter_data_rows(
                stream, job.format, encoding=job.encoding, delimiter=job.delimiter
            )
            preview = [cells for _number, cells in islice(data, rows)]
    except (OSError, ImportFileError):
        return []
    return [(cells + [""] * width)[:width] for cells in preview]
