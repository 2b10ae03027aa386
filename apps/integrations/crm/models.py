"""A company's CRM connection, the link of each lead to its deal, and the sync jobs (the queue
and the sync log at once). Registered with the integrations app (imported by its models)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import decrypt_json, encrypt_json
from apps.core.models import TimeStampedModel
from apps.core.stored_text import render_stored_text
from apps.tenants.scoping import TenantOwnedModel


class Provider(models.TextChoices):
    AMOCRM = "amocrm", "amoCRM"
    BITRIX24 = "bitrix24", "Bitrix24"


class ConnectionState(models.TextChoices):
    PENDING = "pending", _("Waiting for authorization")
    CONNECTED = "connected", _("Connected")
    ERROR = "error", _("Needs attention")


def new_inbound_token() -> str:
    return secrets.token_urlsafe(24)


def new_oauth_state() -> str:
    return secrets.token_urlsafe(24)


class CrmConnection(TenantOwnedModel, TimeStampedModel):
    """One CRM per company. Credentials (OAuth tokens and client secret, or Bitrix24's
    incoming webhook URL and outbound application token) are one encrypted JSON blob."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    provider = models.CharField(_("CRM"), max_length=16, choices=Provider.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=ConnectionState.choices, default=ConnectionState.PENDING
    )
    # amoCRM: the account's subdomain; Bitrix24: the portal's host (from the webhook URL).
    account = models.CharField(_("account"), max_length=200)
    credentials_encrypted = models.TextField(editable=False, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    oauth_state = models.CharField(max_length=64, blank=True, db_index=True)
    # The secret part of our inbound webhook URL (amoCRM and Bitrix24 send no signature).
    inbound_token = models.CharField(max_length=64, unique=True, default=new_inbound_token)
    pipeline_id = models.CharField(_("pipeline"), max_length=64, blank=True)
    pipeline_name = models.CharField(max_length=200, blank=True)
    pipelines = models.JSONField(default=list, blank=True)  # [{"id", "name"}], as last read
    stages = models.JSONField(default=list, blank=True)  # [{"id", "name"}] of the pipeline
    status_map = models.JSONField(_("status ↔ stage"), default=dict, blank=True)
    field_map = models.JSONField(_("field mapping"), default=dict, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("CRM connection")
        verbose_name_plural = _("CRM connections")

    def __str__(self) -> str:
        return f"{self.provider} {self.account}"

    @property
    def credentials(self) -> dict:
        """Plain credentials: for calls only, never for output or logs."""
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value)

    @property
    def is_ready(self) -> bool:
        return self.state == ConnectionState.CONNECTED and bool(self.pipeline_id)

    def stage_name(self, stage_id: str) -> str:
        for stage in self.stages or []:
            if str(stage.get("id")) == str(stage_id):
                return stage.get("name", "")
        return str(stage_id or "")


class CrmLeadLink(TenantOwnedModel):
    """Lead ↔ contact + deal. Its row exists before the deal does: the remote ids are written
    the moment the CRM answers, and a push holds the row's lease while it calls the CRM, so
    a retried or doubled job never creates a second deal."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="links")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    contact_id = models.CharField(max_length=64, blank=True)
    deal_id = models.CharField(max_length=64, blank=True, db_index=True)
    remote_stage = models.CharField(max_length=64, blank=True)
    # When our status last changed, and when the deal's stage last changed (the CRM's clock):
    # "last change wins" compares them.
    local_changed_at = models.DateTimeField(null=True, blank=True)
    remote_changed_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("CRM deal link")
        verbose_name_plural = _("CRM deal links")
        constraints = [
            models.UniqueConstraint(fields=["connection", "lead"], name="crm_link_once"),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} ↔ deal {self.deal_id or '—'}"


class JobKind(models.TextChoices):
    PUSH = "push", _("Lead → CRM")
    PULL = "pull", _("CRM → lead")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Nothing to do")
    FAILED = "failed", _("Failed")


class BackfillState(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    RUNNING = "running", _("Sending")
    # Every lead tried; only pushes that failed for a passing reason wait for their next try
    # (up to ~17.5 h of backoff). Not sending any more: another backfill may start.
    WAITING_RETRY = "waiting_retry", _("Sent, retries pending")
    DONE = "done", _("Finished")


BACKFILL_SENDING = (BackfillState.PREPARING, BackfillState.RUNNING)


class CrmBackfill(TenantOwnedModel):
    """Leads that existed before the CRM was connected, sent once: a PUSH job per lead not
    linked yet (the jobs carry the rate limits and retries). One sending at a time per
    connection (a partial unique constraint): pressing twice cannot choose a lead twice. One
    whose leads were all tried and only wait for retries no longer counts as sending."""

    connection = models.ForeignKey(
        CrmConnection, on_delete=models.CASCADE, related_name="backfills"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    since = models.DateTimeField(_("leads created since"), null=True, blank=True)  # None: all
    state = models.CharField(
        _("state"), max_length=16, choices=BackfillState.choices, default=BackfillState.PREPARING
    )
    total = models.PositiveIntegerField(_("leads to send"), default=0)
    # When done: {"pushed", "skipped", "failed"} counts of its jobs.
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # every job finished (done)

    class Meta:
        verbose_name = _("CRM backfill")
        verbose_name_plural = _("CRM backfills")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(state__in=BACKFILL_SENDING),
                name="crm_backfill_one_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"crm backfill {self.pk} ({self.state})"


class CrmSyncJob(TenantOwnedModel):
    """One piece of sync work, queued on Celery and retried with backoff; the page's sync log."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="jobs")
    link = models.ForeignKey(CrmLeadLink, on_delete=models.CASCADE, related_name="jobs", null=True)
    kind = models.CharField(_("direction"), max_length=8, choices=JobKind.choices)
    deal_id = models.CharField(max_length=64, blank=True)  # pull: the deal the CRM reported
    backfill = models.ForeignKey(
        CrmBackfill, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Stored texts ({"msgid", "params"}): shown in the reader's language.
    result = models.JSONField(_("result"), default=dict, blank=True)
    last_error = models.JSONField(_("error"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("CRM sync job")
        verbose_name_plural = _("CRM sync jobs")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="crm_job_due"),
            models.Index(fields=["tenant", "-id"], name="crm_job_log"),
        ]

    def __str__(self) -> str:
        return f"crm job {self.pk} ({self.kind}, {self.status})"

    @property
    def result_text(self) -> str:
        return render_stored_text(self.result) if self.result else ""

    @property
    def error_text(self) -> str:
        return render_stored_text(self.last_error) if self.last_error else ""
