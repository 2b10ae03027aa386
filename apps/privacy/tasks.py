"""Celery entry points of the privacy app (thin: the work is in services/)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from apps.accounts.models import User
from apps.core.tasks import send_mail_task
from apps.privacy.models import PersonalDataRequest
from apps.privacy.services.closure import closed_companies_delete
from apps.privacy.services.company_archive import company_export_build
from apps.privacy.services.retention import retention_apply
from apps.tenants.tasking import tenant_task


@tenant_task(acks_late=True, ignore_result=True)
def send_erasure_receipt_task(tenant, request_id: int, user_id: int) -> None:
    """The receipt of an erasure to whoever asked for it: what was erased, where (counts)."""
    record = PersonalDataRequest.objects.for_tenant(tenant).get(pk=request_id)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    context = {"record": record, "tenant": tenant, "places": sorted(record.summary.items())}
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string("privacy/email/erasure_subject.txt", context).strip()
        body = render_to_string("privacy/email/erasure_message.txt", context)
    send_mail_task.delay(subject, body, [user.email])  # retried while the mail server is down


@tenant_task(
    acks_late=True,
    ignore_result=True,
    time_limit=settings.CELERY_LONGEST_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_LONGEST_TASK_TIME_LIMIT - 100,
)
def build_company_export_task(tenant, export_id: int) -> str:
    return company_export_build(tenant, export_id).status


@shared_task(acks_late=True, ignore_result=True)
def apply_retention_task() -> dict:
    """Delete what each company keeps no longer (beat, hourly)."""
    return retention_apply()


@shared_task(acks_late=True, ignore_result=True)
def delete_closed_companies_task() -> int:
    """Delete for good the companies closed more than 30 days ago (beat, hourly)."""
    return closed_companies_delete()
