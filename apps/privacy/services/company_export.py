"""A company's request to export everything it has: one export at a time per company, built
as one ZIP by a background job (company_archive.py) for its admins to download."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import Conflict
from apps.privacy.models import JobStatus, TenantExport
from apps.privacy.tasks import build_company_export_task
from apps.tenants.audit import AuditAction, audit_record

LIVE = (JobStatus.PENDING, JobStatus.RUNNING)


def company_export_request(*, tenant, actor, request=None) -> TenantExport:
    """Start the export of everything (one at a time per company); the task builds it."""
    with transaction.atomic():
        # A job older than the longest task limit lost its worker: it no longer blocks.
        since = timezone.now() - timedelta(seconds=settings.CELERY_LONGEST_TASK_TIME_LIMIT)
        live = TenantExport.objects.for_tenant(tenant).filter(
            status__in=LIVE, created_at__gte=since
        )
        if live.exists():
            raise Conflict(_("An export is already being prepared."), "export_running")
        export = TenantExport.objects.create(
            tenant=tenant, created_by=None if getattr(actor, "is_api_key", False) else actor
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.COMPANY_EXPORT_REQUESTED,
            target=export,
            request=request,
        )
        transaction.on_commit(lambda: build_company_export_task.delay(str(tenant.pk), export.pk))
    return export
