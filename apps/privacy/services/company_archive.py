"""Everything a company has, as one ZIP: a CSV per table (every model with a `tenant`) and the
files its rows point to (imports, exports, widget images), written by the export task
(tasks.build_company_export_task) and kept as a private file (apps/core/private_files.py).
Closing a company (closure.py) uses the same list of tables and files to delete them."""

from __future__ import annotations

import csv
import io
import secrets
import zipfile

import structlog
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

from apps.core import private_files
from apps.core.csv_safety import csv_safe_row
from apps.privacy.models import JobStatus, TenantExport
from apps.tenants.models import Tenant

logger = structlog.get_logger("fastlead.privacy.export")
# Secrets stay out of the export: hashes of keys, webhook URL tokens, encrypted credentials.
SECRET_SUFFIXES = ("_encrypted", "_hash", "password", "_token", "secret")


def tenant_models() -> list[type[models.Model]]:
    """Every concrete model with a `tenant` foreign key to the company."""
    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if field is not None and field.is_relation and field.related_model is Tenant:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def _columns(model) -> list[models.Field]:
    return [
        f for f in model._meta.concrete_fields
        if not f.name.endswith(SECRET_SUFFIXES) and f.name != "tenant"
    ]  # fmt: skip


def _file_names(model, row: dict, columns) -> list[str]:
    return [
        str(row[f.attname]) for f in columns
        if isinstance(f, models.FileField) and row[f.attname]
    ]  # fmt: skip


def tenant_files(tenant_id) -> list[str]:
    """The stored files the company's rows point to (FileFields)."""
    names: list[str] = []
    for model in tenant_models():
        columns = _columns(model)
        if not any(isinstance(f, models.FileField) for f in columns):
            continue
        rows = model._base_manager.filter(tenant_id=tenant_id).values(*[f.attname for f in columns])
        for row in rows.iterator():
            names += _file_names(model, row, columns)
    return names


def _write_table(archive: zipfile.ZipFile, model, tenant_id) -> list[str]:
    columns = _columns(model)
    names = [f.attname for f in columns]
    rows = model._base_manager.filter(tenant_id=tenant_id).order_by("pk").values(*names)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    files: list[str] = []
    count = 0
    for row in rows.iterator():
        writer.writerow(csv_safe_row(["" if row[n] is None else row[n] for n in names]))
        files += _file_names(model, row, columns)
        count += 1
    if count:
        archive.writestr(f"{model._meta.label_lower}.csv", "\ufeff" + out.getvalue())
    return files


def _add_files(archive: zipfile.ZipFile, names: list[str]) -> None:
    for name in dict.fromkeys(names):
        if not private_files.exists(name):
            continue
        with default_storage.open(name, "rb") as handle:
            archive.writestr(f"files/{name}", handle.read())


def company_export_build(tenant, export_id: int) -> TenantExport:
    """Write the ZIP. Claimed first, so a second delivery of the task does nothing."""
    claimed = (
        TenantExport.objects.for_tenant(tenant)
        .filter(pk=export_id, status=JobStatus.PENDING)
        .update(status=JobStatus.RUNNING)
    )
    export = TenantExport.objects.for_tenant(tenant).get(pk=export_id)
    if not claimed:
        return export
    token = secrets.token_hex(8)  # unguessable even to someone who can list the storage
    name = f"privacy/{tenant.pk}/company-export-{export.pk}-{token}.zip"
    try:
        with (
            private_files.local_copy(name) as path,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            files, tables = [], 0
            for model in tenant_models():
                if model is TenantExport:
                    continue
                files += _write_table(archive, model, tenant.pk)
                tables += 1
            _add_files(archive, files)
    except Exception as exc:  # recorded on the row; the admin may start it again
        logger.exception("company_export_failed", export_id=export.pk)
        export.status, export.error = JobStatus.FAILED, str(exc)[:500]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export
    export.status, export.file, export.tables = JobStatus.DONE, name, tables
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "file", "tables", "finished_at"])
    return export
