"""The report of rejected rows: a CSV (UTF-8 with BOM, so Excel reads Cyrillic) with the row
number, the reasons, and the row's own cells, so that the rows can be fixed and uploaded again."""

from __future__ import annotations

import codecs

from django.utils.translation import gettext as _

from apps.core import csv_safety, private_files
from apps.leads.imports.mapping import ITEM_KEYS, field_label
from apps.leads.models_imports import ImportJob, import_report_to

_FIELD_OF_ITEM_KEY = {item_key: key for key, item_key in ITEM_KEYS.items()}


def reasons_text(errors: dict[str, list[str]], mapping: dict[str, str], headers: list[str]) -> str:
    """Field errors of ingestion → "Почта: Введите правильный адрес; …" by column name."""
    parts = []
    for key, messages in errors.items():
        field = _FIELD_OF_ITEM_KEY.get(key, key)
        columns = [
            headers[int(i)] for i, f in mapping.items() if f == field and int(i) < len(headers)
        ]
        text = " ".join(str(message) for message in messages)
        if key == "non_field_errors":
            parts.append(text)
        else:
            label = ", ".join(columns) or field_label(field)
            parts.append(f"{label}: {text}")
    return "; ".join(parts)


class RejectedReport:
    """Appends rejected rows to the job's report file (created with the first one)."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.handle = None
        self.writer = None

    def add(self, chunk: list[tuple[int, list[str]]], results) -> None:
        rejected = [
            (number, cells, result.errors)
            for (number, cells), result in zip(chunk, results, strict=True)
            if result.status == "rejected"
        ]
        if not rejected:
            return
        writer = self._writer()
        headers = self.job.headers
        for number, cells, errors in rejected:
            reasons = reasons_text(errors, self.job.mapping, headers)
            writer.writerow([number, reasons, *cells])
        self.handle.flush()

    def close(self) -> None:
        """Close the file and put it in the storage (a bucket cannot be appended to, so rows
        are written to a working copy until then)."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            private_files.store(self.job.report.name)

    def _writer(self):
        if self.writer is not None:
            return self.writer
        job = self.job
        if not job.report.name:
            job.report.name = import_report_to(job, "")
            ImportJob.objects.filter(pk=job.pk).update(report=job.report.name)
        path = private_files.work_path(job.report.name)
        fresh = not path.exists() or path.stat().st_size == 0
        self.handle = path.open("a", encoding="utf-8", newline="")
        self.writer = csv_safety.writer(self.handle)
        if fresh:
            self.handle.write(codecs.BOM_UTF8.decode())
            self.writer.writerow([_("Row"), _("Reasons"), *job.headers])
        return self.writer
