"""Finished imports' files and reports and exports' files are deleted after the retention."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from apps.leads.models import ImportJob, LeadExport
from apps.leads.retention import lead_files_purge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.LEADS_FILE_RETENTION_DAYS = 30
    return tmp_path


def _job(tenant, status, age_days):
    upload = default_storage.save(
        f"imports/{tenant.pk}/up-{status}-{age_days}.csv", ContentFile(b"a")
    )
    report = default_storage.save(
        f"imports/{tenant.pk}/rep-{status}-{age_days}.csv", ContentFile(b"b")
    )
    return ImportJob.objects.create(
        tenant=tenant,
        file=upload,
        report=report,
        original_name="x.csv",
        format="csv",
        status=status,
        created_at=timezone.now() - timedelta(days=age_days),
    )


def _export(tenant, media, status, age_days):
    name = f"exports/{tenant.pk}/leads-{status}-{age_days}.csv"
    (media / name).parent.mkdir(parents=True, exist_ok=True)
    (media / name).write_text("id\n")
    return LeadExport.objects.create(
        tenant=tenant,
        format="csv",
        status=status,
        file=name,
        created_at=timezone.now() - timedelta(days=age_days),
    )


def test_old_finished_files_go_recent_and_running_ones_stay(tenant, media):
    old = _job(tenant, "done", 31)
    recent = _job(tenant, "done", 2)
    running = _job(tenant, "running", 40)
    old_export = _export(tenant, media, "done", 45)
    new_export = _export(tenant, media, "done", 1)
    old_paths = [old.file.name, old.report.name]

    assert lead_files_purge() == {"imports": 1, "exports": 1}

    assert not any(default_storage.exists(p) for p in old_paths)
    old.refresh_from_db()
    assert old.file.name == "" and old.report.name == ""
    for job in (recent, running):
        job.refresh_from_db()
        assert default_storage.exists(job.file.name) and default_storage.exists(job.report.name)
    old_export.refresh_from_db()
    assert old_export.file == "" and not any(Path(media, "exports").rglob("*-45.csv"))
    new_export.refresh_from_db()
    assert (media / new_export.file).exists()
    assert lead_files_purge() == {"imports": 0, "exports": 0}  # idempotent
