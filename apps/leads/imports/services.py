"""Writes of file imports: a job from an uploaded file, and starting it with a mapping."""

from __future__ import annotations

from typing import Any

import structlog
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import Conflict, ObjectNotFound, ValidationFailed
from apps.leads import selectors as lead_selectors
from apps.leads import services as lead_services
from apps.leads.imports import reader
from apps.leads.imports.mapping import guess_mapping, validate_mapping
from apps.leads.imports.tasks import import_leads_task
from apps.leads.models import LeadList, ListKind
from apps.leads.models_imports import ImportJob

logger = structlog.get_logger("fastlead.audit")
LIST_NAME_MAX = 200


def import_job_create(*, tenant, actor, upload) -> ImportJob:
    """Check an uploaded file (format, size, encoding, header row, at least one row), store it
    and guess its column mapping. Nothing is imported until `import_job_start`."""
    if upload.size > reader.MAX_BYTES:
        raise reader.ImportFileError(
            _("The file is too large: at most %(size)s MB.")
            % {"size": reader.MAX_BYTES // 1024 // 1024},
            code="file_too_large",
        )
    data = upload.read()
    sheet = reader.inspect(upload.name, data)
    job = ImportJob(
        tenant=tenant,
        created_by=actor,
        original_name=(upload.name or "leads")[-255:],
        format=sheet.format,
        encoding=sheet.encoding,
        delimiter=sheet.delimiter,
        headers=sheet.headers,
        mapping=guess_mapping(sheet.headers),
    )
    job.file.save(f"upload.{sheet.format}", ContentFile(data), save=False)
    job.save()
    logger.info("lead_import_uploaded", tenant_id=str(tenant.pk), import_id=job.pk)
    return job


def import_job_start(
    *,
    tenant,
    actor,
    job_id,
    mapping: dict[str, Any],
    list_id: int | None = None,
    new_list_name: str = "",
) -> ImportJob:
    """Save the mapping and the target list (a new import list unless one is chosen) and
    enqueue the import after commit. A job starts once; a second start answers 409."""
    with transaction.atomic():
        job = _job_for_update(tenant, job_id)
        if not job.is_draft:
            raise Conflict(_("This import has already started."), code="import_started")
        job.mapping = validate_mapping(mapping, len(job.headers))
        job.lead_list = _target_list(tenant, actor, job, list_id, new_list_name)
        job.queued_at = timezone.now()
        job.save(update_fields=["mapping", "lead_list", "queued_at"])
        transaction.on_commit(lambda: import_leads_task.delay(str(tenant.pk), job.pk))
    logger.info("lead_import_started", tenant_id=str(tenant.pk), import_id=job.pk)
    return job


def _job_for_update(tenant, job_id) -> ImportJob:
    try:
        return ImportJob.objects.for_tenant(tenant).select_for_update().get(pk=int(job_id))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


def default_list_name(job: ImportJob) -> str:
    when = timezone.localtime(job.created_at).strftime("%d.%m.%Y %H:%M")
    prefix = _("Import %(date)s: ") % {"date": when}
    return prefix + job.original_name[: LIST_NAME_MAX - len(prefix) - 8]


def _target_list(tenant, actor, job: ImportJob, list_id, new_name: str) -> LeadList:
    if list_id:
        try:
            return lead_selectors.leadlist_get(tenant, list_id)
        except Http404:
            raise ValidationFailed(
                _("No such list."), fields={"target_list": [_("No such list.")]}
            ) from None
    name = (new_name or "").strip()[: LIST_NAME_MAX - 8] or default_list_name(job)
    taken = {
        n.lower()
        for n in LeadList.objects.for_tenant(tenant)
        .filter(name__istartswith=name)
        .values_list("name", flat=True)
    }
    unique, number = name, 2
    while unique.lower() in taken:
        unique, number = f"{name} ({number})", number + 1
    return lead_services.leadlist_create(
        tenant=tenant, actor=actor, name=unique, kind=ListKind.IMPORT
    )
