"""Webhook endpoints, the events recorded for them, one delivery per (endpoint, event) and the
log of every attempt."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import decrypt_text, encrypt_text, mask
from apps.core.models import TimeStampedModel
from apps.tenants.scoping import TenantOwnedModel

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


class WebhookEndpoint(TenantOwnedModel, TimeStampedModel):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_at = models.DateTimeField(_("disabled automatically at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "enabled"], name="webhook_ep_tenant_enabled")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        """The plain signing secret: for signing only, never for output or logs."""
        return decrypt_text(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt_text(value)

    def masked_secret(self) -> str:
        return mask(self.secret)


class WebhookEvent(TenantOwnedModel):
    """One thing that happened, as sent: the body is built once, when it happened."""

    event_id = models.CharField(_("event id"), max_length=40, unique=True, default=new_event_id)
    type = models.CharField(_("type"), max_length=64)
    object_key = models.CharField(_("object"), max_length=80)  # "lead:12": deliveries in order
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantOwnedModel):
    """An event owed to an endpoint: claimed before each attempt, so it is sent once per
    attempt however often its task arrives."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    object_key = models.CharField(max_length=80)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    succeeded_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["endpoint", "object_key", "id"], name="webhook_dl_order"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_dl_due"),
            models.Index(fields=["tenant", "endpoint", "-id"], name="webhook_dl_log"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class WebhookAttempt(TenantOwnedModel):
    """One POST to the endpoint (or the reason none could be made): the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(_("time"))
    url = models.CharField(_("URL"), max_length=500)
    request_headers = models.JSONField(_("request headers"), default=dict)
    status_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    response_body = models.CharField(_("response body"), max_length=1000, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"attempt {self.pk}"


# The CRM sync's models live in apps/integrations/crm/ and belong to this app.
from apps.integrations.crm.models import (  # noqa: E402,F401
    CrmBackfill,
    CrmConnection,
    CrmLeadLink,
    CrmSyncJob,
)
