"""A tenant's channel: provider, encrypted credentials, public settings, connection status."""

import secrets

from django.conf import settings as django_settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.channels.providers import adapter_class
from apps.core.crypto import decrypt_json, encrypt_json, mask
from apps.core.models import TimeStampedModel
from apps.tenants.scoping import TenantOwnedModel


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")


class Provider(models.TextChoices):
    SMTP = "smtp", _("SMTP")
    SENDGRID = "sendgrid", _("SendGrid")
    TWILIO = "twilio", _("Twilio")
    SMSC = "smsc", _("SMSC.ru")
    TELEGRAM = "telegram", _("Telegram Bot API")
    WHATSAPP_CLOUD = "whatsapp_cloud", _("WhatsApp Cloud API")


class ChannelStatus(models.TextChoices):
    NEW = "new", _("Not tested")
    CONNECTED = "connected", _("Connected")
    ERROR = "error", _("Error")


def new_webhook_token() -> str:
    return secrets.token_urlsafe(32)


class Channel(TenantOwnedModel, TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    provider = models.CharField(_("provider"), max_length=24, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=100)
    credentials_encrypted = models.TextField(
        _("credentials (encrypted)"), blank=True, editable=False
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.NEW
    )
    last_tested_at = models.DateTimeField(_("last tested at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    # The provider's approved message templates, read when the channel is tested (WhatsApp:
    # the only messages allowed 24 hours after the person's last one). See
    # Adapter.message_templates for the shape.
    templates = models.JSONField(_("message templates"), default=list, blank=True, editable=False)
    webhook_token = models.CharField(
        _("webhook token"), max_length=64, unique=True, default=new_webhook_token, editable=False
    )

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "kind"], name="channel_tenant_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict:
        """The plain credentials: for the adapters only, never for output or logs."""
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value)

    def masked_credentials(self) -> dict[str, str]:
        return {key: mask(value) for key, value in sorted(self.credentials.items())}

    def approved_template(self, name: str, language: str) -> dict | None:
        return next(
            (t for t in self.templates if t["name"] == name and t["language"] == language), None
        )

    @property
    def webhook_help(self):
        """What the tenant does with `webhook_url` ("" when we set the webhook up ourselves
        or the provider calls us with nothing)."""
        return adapter_class(self.provider).webhook_help

    @property
    def webhook_url(self) -> str:
        """Where the provider posts this channel's callbacks (its token is the secret)."""
        return django_settings.SITE_URL + reverse(
            "messaging_webhooks:channel", args=[self.kind, self.webhook_token]
        )
