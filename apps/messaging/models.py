"""Conversations with leads: one conversation per lead, its messages (both directions), the
addresses a lead is reached at in each channel kind, and the tenant's suppression list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")


class MessageStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # inbound
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")  # a worker is talking to the provider right now
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    # The provider may or may not have it (timeout after the request went out, worker died
    # mid-send): never re-sent automatically, the operator decides.
    UNKNOWN = "unknown", _("Unknown")


class AddressKind(models.TextChoices):
    """How a person is reached: the channel kinds (a WhatsApp number is kept apart from the
    SMS phone: opting out of one is not opting out of the other)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"


class Conversation(TenantOwnedModel):
    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="conversation")
    channel = models.ForeignKey(  # the channel of the last message
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("channel"),
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message_preview = models.CharField(max_length=200, blank=True)
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(
                fields=["tenant", "status", "-last_message_at"], name="conversation_inbox"
            ),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class Message(TenantOwnedModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.ForeignKey(
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("channel"),
    )
    channel_kind = models.CharField(_("channel kind"), max_length=16, choices=AddressKind.choices)
    address = models.CharField(_("address"), max_length=254)  # to (out) / from (in), normalized
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    provider_message_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MessageStatus.choices)
    error = models.CharField(_("reason"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=32, blank=True)  # operator | rule | provider | …
    source_ref = models.CharField(max_length=200, blank=True)  # e.g. the rule's id
    marketing = models.BooleanField(default=False)
    # An approved provider template sent instead of free text (WhatsApp outside its 24-hour
    # window): {"name", "language", "params": [values], "named": [names]}; `body` holds
    # the template's text with the values filled in.
    template = models.JSONField(default=dict, blank=True)
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="message_unique_idempotency"
            ),
            # A provider's callback delivered twice stores one message.
            models.UniqueConstraint(
                fields=["channel", "direction", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_unique_provider_id",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread"),
            models.Index(fields=["tenant", "status"], name="message_tenant_status"),
            models.Index(fields=["lead", "channel_kind", "direction"], name="message_lead_kind"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.direction}, {self.status})"

    @property
    def resendable(self) -> bool:
        return self.direction == Direction.OUT and self.status in (
            MessageStatus.UNKNOWN,
            MessageStatus.FAILED,
        )


class LeadAddress(TenantOwnedModel):
    """Where a lead was reached or wrote from, per channel kind (a Telegram chat id, a WhatsApp
    number, a phone, an e-mail): an inbound message from it finds the same lead again."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=AddressKind.choices)
    value = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lead address")
        verbose_name_plural = _("lead addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "value"], name="leadaddress_unique_value"
            ),
        ]
        indexes = [models.Index(fields=["lead", "kind"], name="leadaddress_lead_kind")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}"


class SuppressionReason(models.TextChoices):
    OPT_OUT = "opt_out", _("Opted out")
    BOUNCE = "bounce", _("Bounced")
    COMPLAINT = "complaint", _("Marked as spam")
    MANUAL = "manual", _("Added by hand")


class Suppression(TenantOwnedModel):
    """An address nothing but a direct reply to the person's own message may go to."""

    kind = models.CharField(_("kind"), max_length=16, choices=AddressKind.choices)
    value = models.CharField(_("address"), max_length=254)  # normalized
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    source_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "value"], name="suppression_unique_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.reason})"
