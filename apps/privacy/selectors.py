"""Reads of the privacy app."""

from __future__ import annotations

from apps.core.errors import ObjectNotFound
from apps.privacy.models import TenantExport


def company_export_get(tenant, export_id) -> TenantExport:
    """One of the company's exports; missing and foreign both answer 404."""
    try:
        return TenantExport.objects.for_tenant(tenant).get(pk=int(export_id))
    except (TenantExport.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ObjectNotFound() from None


def company_exports(tenant, limit: int = 5) -> list[TenantExport]:
    return list(TenantExport.objects.for_tenant(tenant)[:limit])
