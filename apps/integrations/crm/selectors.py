"""Reading a company's CRM connection and its sync log."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.integrations.crm.models import CrmConnection, CrmSyncJob


def connection_get(tenant) -> CrmConnection | None:
    return CrmConnection.objects.for_tenant(tenant).select_related("tenant").first()


def job_list(tenant) -> QuerySet:
    return (
        CrmSyncJob.objects.for_tenant(tenant).select_related("link", "connection").order_by("-pk")
    )


def job_get(tenant, job_id) -> CrmSyncJob:
    job = job_list(tenant).select_related("connection__tenant").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job
