"""Processing an import job: rows in chunks through `ingest_leads`, progress on the job row.

Each chunk is stored and counted in one transaction, so a job whose worker was killed resumes
after the last committed chunk (and re-imported rows merge rather than duplicate anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from itertools import islice

import structlog
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.leads.imports.mapping import row_item
from apps.leads.imports.reader import ImportFileError, iter_data_rows
from apps.leads.imports.report import RejectedReport
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Source
from apps.leads.models_imports import ImportJob, ImportStatus

logger = structlog.get_logger(__name__)
CHUNK_ROWS = 500
TIME_LIMIT = settings.CELERY_LONGEST_TASK_TIME_LIMIT  # big files
STALE_AFTER = timedelta(seconds=TIME_LIMIT + 60)


def run_import(tenant, job_id: int) -> None:
    """Claim the job (a conditional update: a re-delivered task for a running or finished job
    does nothing, unless its run outlived the time limit) and process it; failures are
    recorded on the job, never raised."""
    job = _claim(job_id)
    if job is None:
        return
    language = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            _process(tenant, job)
        except ImportFileError as exc:
            _fail(job, exc.message)
        except Exception:
            logger.exception("lead_import_failed", import_id=job_id)
            _fail(
                job,
                _(
                    "The import stopped because of an internal error. The rows processed so far "
                    "are kept; upload the file again to finish (imported rows will not repeat)."
                ),
            )


def _claim(job_id: int) -> ImportJob | None:
    now = timezone.now()
    stale = Q(status=ImportStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    claimed = (
        ImportJob.objects.filter(pk=job_id, queued_at__isnull=False)
        .filter(Q(status=ImportStatus.PENDING) | stale)
        .update(status=ImportStatus.RUNNING, started_at=now)
    )
    if not claimed:
        return None
    return ImportJob.objects.select_related("created_by", "lead_list").get(pk=job_id)


def _rows(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    with closing(default_storage.open(job.file.name, "rb")) as stream:
        yield from iter_data_rows(
            stream, job.format, encoding=job.encoding, delimiter=job.delimiter
        )


def _chunks(rows, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _process(tenant, job: ImportJob) -> None:
    if job.rows_total is None:
        job.rows_total = sum(1 for _row in _rows(job))
        ImportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
    report = RejectedReport(job)
    try:
        rows = islice(_rows(job), job.rows_processed, None)  # resume after committed chunks
        for chunk in _chunks(rows, CHUNK_ROWS):
            results = _store_chunk(tenant, job, chunk)
            report.add(chunk, results)
    finally:
        report.close()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, finished_at=timezone.now(), error=""
    )
    logger.info("lead_import_done", tenant_id=str(tenant.pk), import_id=job.pk)


def _store_chunk(tenant, job: ImportJob, chunk: list) -> list:
    items = [row_item(cells, job.mapping) for _number, cells in chunk]
    with transaction.atomic():
        outcome = ingest_leads(
            tenant=tenant,
            items=items,
            source=Source.IMPORT,
            actor=job.created_by,
            lead_list=job.lead_list,
        )
        summary = outcome.summary
        ImportJob.objects.filter(pk=job.pk).update(
            rows_processed=F("rows_processed") + len(chunk),
            rows_created=F("rows_created") + summary["created"],
            rows_merged=F("rows_merged") + summary["merged"],
            rows_rejected=F("rows_rejected") + summary["rejected"],
        )
    return outcome.results


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, error=message[:2000], finished_at=timezone.now()
    )
