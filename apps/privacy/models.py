"""Consents with the text the person agreed to, per-company retention settings, requests about
one person's data (export, erasure) and company closures with their full exports."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel, TenantScopedManager

CLOSURE_GRACE = timedelta(days=30)


class ConsentPurpose(models.TextChoices):
    PROCESSING = "processing", _("Processing of personal data")
    MARKETING = "marketing", _("Marketing messages")


class ConsentRecord(TenantOwnedModel):
    """One consent given or withdrawn, with the texts shown and their version (append-only:
    the latest row of a purpose is the lead's current answer)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    texts = models.JSONField(_("texts shown"), default=dict, blank=True)  # {"ru": ..., "en": ...}
    version = models.CharField(_("version of the texts"), max_length=40, blank=True)
    source = models.CharField(_("where"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "lead", "purpose", "-created_at"], name="consent_lead")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'granted' if self.granted else 'withdrawn'}"


class RetentionSettings(TenantOwnedModel):
    """How long a company keeps each kind of data, in days; empty keeps it."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    conversations_days = models.PositiveIntegerField(_("conversations"), null=True, blank=True)
    tickets_days = models.PositiveIntegerField(_("support tickets"), null=True, blank=True)
    ai_raw_days = models.PositiveIntegerField(_("raw AI responses"), null=True, blank=True)
    import_files_days = models.PositiveIntegerField(_("import files"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("retention settings")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return f"retention {self.tenant_id}"

    def days(self, category: str) -> int | None:
        return getattr(self, f"{category}_days")


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export")
    ERASURE = "erasure", _("Erasure")


class PersonalDataRequest(TenantOwnedModel):
    """What was done about one person's data, by whom and when (no personal data in it: the
    subject is an id and `summary` counts rows per place)."""

    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    subject_type = models.CharField(max_length=16)  # "lead" or "user"
    subject_id = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Preparing")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class TenantExport(TenantOwnedModel):
    """Everything a company has, as a ZIP of CSVs and its stored files (a background job)."""

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    file = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=500, blank=True)
    tables = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("company export")
        verbose_name_plural = _("company exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} {self.status}"


class ClosureStatus(models.TextChoices):
    CLOSED = "closed", _("Closed (read-only)")
    RESTORED = "restored", _("Restored")


class TenantClosure(TenantOwnedModel):
    """A company closed by its admin: read-only until `delete_after`, then deleted for good by
    the beat task (the platform audit log keeps that it happened). Staff may restore it."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=ClosureStatus.choices)
    closed_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField(db_index=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantScopedManager()

    class Meta:
        verbose_name = _("company closure")
        verbose_name_plural = _("company closures")

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.status}"

    @property
    def is_closed(self) -> bool:
        return self.status == ClosureStatus.CLOSED
