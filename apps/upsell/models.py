"""Upsell radar: support tickets, their classifications, the tenant's product catalogue and
upsell cases with their transition history.

A ticket's requester personal data lives only in the `requester_*` columns (and in the
ticket text itself): a personal-data export or erasure hooks onto those columns by name.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import decrypt_text, encrypt_text
from apps.core.money import format_money
from apps.tenants.scoping import TenantOwnedModel

DEFAULT_THRESHOLD = 0.7
DEDUPE_DAYS = 30


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TicketSource(models.TextChoices):
    GENERIC = "generic", _("Generic JSON")
    ZENDESK = "zendesk", "Zendesk"
    HELPSCOUT = "helpscout", "Help Scout"
    API = "api", _("API")


class WorkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class UpsellSettings(TenantOwnedModel):
    """Per tenant: thresholds and the helpdesk webhook (token in the URL, HMAC secret)."""

    threshold = models.DecimalField(
        _("case threshold"), max_digits=3, decimal_places=2, default=DEFAULT_THRESHOLD
    )
    auto_approve_threshold = models.DecimalField(
        _("skip approval at or above"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: every case waits for a person's approval."),
    )
    webhook_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    secret_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("upsell settings")
        verbose_name_plural = _("upsell settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="upsellsettings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return f"upsell settings {self.tenant_id}"

    @property
    def webhook_secret(self) -> str:
        return decrypt_text(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self.webhook_secret_encrypted = encrypt_text(value)


class CatalogueItem(TenantOwnedModel):
    """A product or tier the tenant sells: the classifier recommends only these."""

    product = models.CharField(_("product"), max_length=120)
    tier = models.CharField(_("tier"), max_length=120, blank=True)
    description = models.CharField(_("what it gives"), max_length=500, blank=True)
    price_amount = models.BigIntegerField(_("price, minor units"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="RUB")
    active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["product", "tier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "product", "tier"], name="catalogueitem_unique_tier"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.tier}".strip()


class Ticket(TenantOwnedModel):
    source = models.CharField(_("source"), max_length=16, choices=TicketSource.choices)
    external_id = models.CharField(_("helpdesk ticket id"), max_length=128)
    # Personal data of the requester: only these columns (privacy export/erase hooks here).
    requester_name = models.CharField(_("requester name"), max_length=200, blank=True)
    requester_email = models.CharField(_("requester e-mail"), max_length=254, blank=True)
    requester_phone = models.CharField(_("requester phone"), max_length=40, blank=True)
    requester_marketing_consent = models.BooleanField(_("consent to marketing"), default=False)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(_("helpdesk status"), max_length=40, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    content_hash = models.CharField(_("content version"), max_length=64)
    classification_status = models.CharField(
        max_length=10, choices=WorkStatus.choices, default=WorkStatus.PENDING
    )
    classification_error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"], name="ticket_unique_external"
            )
        ]
        indexes = [models.Index(fields=["tenant", "-received_at"], name="ticket_tenant_time")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.external_id}"


class Classification(TenantOwnedModel):
    """One answer per (ticket, content version): re-posting unchanged text asks nothing."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="classifications")
    content_hash = models.CharField(max_length=64)
    upsell_signal = models.BooleanField(_("upsell signal"))
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=3)
    rationale = models.TextField(_("rationale"), blank=True)
    recommended_product = models.CharField(_("product"), max_length=120, blank=True)
    recommended_tier = models.CharField(_("tier"), max_length=120, blank=True)
    evidence_quotes = models.JSONField(_("evidence"), default=list, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(_("AI cost, USD"), max_digits=12, decimal_places=6, default=0)
    offline = models.BooleanField(_("offline heuristic"), default=False)
    ai_usage_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "content_hash"], name="classification_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.score} {self.recommended_product}"


class CaseStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    LEAD_CREATED = "lead_created", _("Lead created")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    OUTREACH_STARTED = "outreach_started", _("Outreach started")
    EMAIL_SENT = "email_sent", _("E-mail sent")
    CALL_PLACED = "call_placed", _("Call placed")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    WON = "won", _("Won")


class ChannelState(models.TextChoices):
    PENDING = "pending", _("Not yet")
    QUEUED = "queued", _("Queued")
    PLACED = "placed", _("Call placed")
    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class DraftSource(models.TextChoices):
    AI = "ai", _("AI draft")
    TEMPLATE = "template", _("Template draft")


class UpsellCase(TenantOwnedModel):
    """An upsell chance found in a ticket. `status` changes only through
    `apps.upsell.transitions.case_transition` (one history row per change)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="case")
    # RESTRICT: a classification goes only with its ticket (which takes the case along).
    classification = models.ForeignKey(Classification, on_delete=models.RESTRICT, related_name="+")
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.IDENTIFIED
    )
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=3)
    product = models.CharField(_("product"), max_length=120, blank=True)
    tier = models.CharField(_("tier"), max_length=120, blank=True)
    person_key = models.CharField(max_length=260)
    email_subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    email_body = models.TextField(_("e-mail"), blank=True)
    call_script = models.TextField(_("call script"), blank=True)
    # Who wrote the drafts above (before any edit), recorded as a classification records it.
    draft_source = models.CharField(
        _("draft"), max_length=10, choices=DraftSource.choices, default=DraftSource.TEMPLATE
    )
    draft_language = models.CharField(_("draft language"), max_length=8, blank=True)
    draft_model = models.CharField(max_length=100, blank=True)
    draft_input_tokens = models.PositiveIntegerField(default=0)
    draft_output_tokens = models.PositiveIntegerField(default=0)
    draft_cost = models.DecimalField(
        _("draft AI cost, USD"), max_digits=12, decimal_places=6, default=0
    )
    draft_ai_usage_id = models.BigIntegerField(null=True, blank=True)
    draft_error = models.CharField(max_length=300, blank=True)
    won_amount = models.BigIntegerField(_("won amount, minor units"), null=True, blank=True)
    won_currency = models.CharField(_("won currency"), max_length=3, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_via = models.CharField(_("decided in"), max_length=20, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=500, blank=True)
    email_state = models.CharField(
        _("e-mail"), max_length=12, choices=ChannelState.choices, default=ChannelState.PENDING
    )
    email_detail = models.CharField(max_length=300, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    call_state = models.CharField(
        _("call"), max_length=12, choices=ChannelState.choices, default=ChannelState.PENDING
    )
    call_detail = models.CharField(max_length=300, blank=True)
    call_external_id = models.CharField(max_length=128, blank=True)
    call_summary = models.TextField(_("call summary"), blank=True)
    call_transcript = models.TextField(_("call transcript"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("upsell case")
        verbose_name_plural = _("upsell cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="upsellcase_status"),
            models.Index(fields=["tenant", "lead"], name="upsellcase_lead"),
        ]

    def __str__(self) -> str:
        return f"upsell case {self.pk}"

    @property
    def won_display(self) -> str:
        """The won amount for people ("12 990,00 RUB"), or "" when none was given."""
        if self.won_amount is None or not self.won_currency:
            return ""
        return format_money(self.won_amount, self.won_currency)


class OutreachClaim(TenantOwnedModel):
    """One row per (person, product): the unique constraint plus a conditional update of
    `claimed_at` make "not the same person and product within 30 days" race-safe."""

    person_key = models.CharField(max_length=260)
    product_key = models.CharField(max_length=120)
    case = models.ForeignKey(UpsellCase, null=True, on_delete=models.SET_NULL, related_name="+")
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "person_key", "product_key"], name="outreachclaim_unique"
            )
        ]


class CaseTransition(TenantOwnedModel):
    case = models.ForeignKey(UpsellCase, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("who/what"), max_length=60)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("case transition")
        verbose_name_plural = _("case transitions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class CallEvent(TenantOwnedModel):
    """HYROCALL outcome webhooks received: the event id is unique, a re-delivery stops."""

    event_id = models.CharField(max_length=128, unique=True)
    case = models.ForeignKey(UpsellCase, on_delete=models.CASCADE, related_name="call_events")
    outcome = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)
