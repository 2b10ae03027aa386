"""File imports of leads (CSV/XLSX uploaded in the dashboard), processed by a Celery task.

Imported at the end of apps/leads/models.py so that Django registers the model with the app.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


def _token() -> str:
    # Uploaded files and reports live under MEDIA_ROOT: unguessable names, served only by views
    # that check the membership.
    return secrets.token_hex(8)


def import_upload_to(job: "ImportJob", filename: str) -> str:
    return f"imports/{job.tenant_id}/{_token()}.{job.format}"


def import_report_to(job: "ImportJob", filename: str) -> str:
    return f"imports/{job.tenant_id}/{_token()}-rejected.csv"


class ImportJob(TenantOwnedModel):
    """One uploaded file: its column mapping, its progress and its report of rejected rows.

    A job is `pending` from the upload on; `queued_at` is set when the user confirms the
    mapping and the task is enqueued; the task claims it (`running`) and finishes it.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=8, choices=ImportFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    # {"<column index>": "<lead field>"}; unmapped columns are left out.
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    lead_list = models.ForeignKey(
        "leads.LeadList",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("list"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_processed = models.PositiveIntegerField(_("rows processed"), default=0)
    rows_created = models.PositiveIntegerField(_("leads created"), default=0)
    rows_merged = models.PositiveIntegerField(_("leads merged"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    report = models.FileField(
        _("report of rejected rows"), upload_to=import_report_to, max_length=300, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        indexes = [models.Index(fields=["tenant", "-created_at"], name="importjob_tenant_time")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.format}, {self.status})"

    @property
    def is_draft(self) -> bool:
        """Uploaded, waiting for the column mapping."""
        return self.status == ImportStatus.PENDING and self.queued_at is None

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def progress(self) -> int:
        """Percent done (0-100)."""
        if self.status == ImportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_processed * 100 // self.rows_total)


# The worker registers Celery tasks by importing `<app>.tasks`; until apps/leads/tasks.py
# imports the import task, loading the models registers it (the models are all defined here).
from apps.leads.imports import tasks as _import_tasks  # noqa: E402, F401
