"""Celery entry point of file imports."""

from __future__ import annotations

from apps.leads.imports.runner import TIME_LIMIT, run_import
from apps.tenants.tasking import tenant_task


@tenant_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 100)
def import_leads_task(tenant, import_id: int) -> None:
    """Process an ImportJob (idempotent: see `run_import`)."""
    run_import(tenant, import_id)
