"""Uploaded import files, rejected-row reports and export files are kept for
`LEADS_FILE_RETENTION_DAYS` after their job finished, then deleted by a beat task; the job
rows stay (their pages say the file is no longer available). Running jobs are never touched."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.utils import timezone

from apps.core import private_files
from apps.leads.models import ExportStatus, ImportJob, ImportStatus, LeadExport

logger = structlog.get_logger("fastlead.leads.retention")
FINISHED_IMPORTS = (ImportStatus.DONE, ImportStatus.FAILED)
FINISHED_EXPORTS = (ExportStatus.DONE, ExportStatus.FAILED)


def lead_files_purge(now=None) -> dict[str, int]:
    """Delete the files of jobs finished before the retention window. Idempotent."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LEADS_FILE_RETENTION_DAYS)
    purged = {"imports": 0, "exports": 0}
    jobs = (
        ImportJob.objects.unscoped()
        .filter(status__in=FINISHED_IMPORTS, created_at__lt=cutoff)
        .exclude(file="", report="")
    )
    for job in jobs.iterator():
        private_files.delete(job.file.name)
        private_files.delete(job.report.name)
        ImportJob.objects.unscoped().filter(pk=job.pk).update(file="", report="")
        purged["imports"] += 1
    exports = (
        LeadExport.objects.unscoped()
        .filter(status__in=FINISHED_EXPORTS, created_at__lt=cutoff)
        .exclude(file="")
    )
    for export in exports.iterator():
        private_files.delete(export.file)
        LeadExport.objects.unscoped().filter(pk=export.pk).update(file="")
        purged["exports"] += 1
    if any(purged.values()):
        logger.info("lead_files_purged", **purged)
    return purged
