"""Events, follow-up rules (versioned), message templates and the decisions that explain
every send and every silence (issue 16, seed 003).

A subject is whom an event is about: a lead (`lead:<id>`) or an external user id the tenant
sends (`user_id` in the API). An external user becomes reachable once a lead carries that id
as its `external_id` (the events API creates or updates it when the event brings an e-mail or
a phone, see services.event_subject_lead).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.channels.models import ChannelKind
from apps.tenants.scoping import TenantOwnedModel


class EventSource(models.TextChoices):
    API = "api", _("API")
    INTERNAL = "internal", _("Fast Lead")
    TEST = "test", _("Test from the editor")


class Event(TenantOwnedModel):
    event_id = models.CharField(_("event id"), max_length=200)
    event_type = models.CharField(_("event type"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    source = models.CharField(max_length=16, choices=EventSource.choices, default=EventSource.API)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_id"], name="rules_event_unique_id"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "subject", "event_type", "occurred_at"],
                name="rules_event_subject_type",
            ),
            models.Index(fields=["tenant", "subject", "occurred_at"], name="rules_event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class Template(TenantOwnedModel):
    """A message with placeholders `{{ lead.name }}`, `{{ properties.amount }}`: Russian and
    English text; `sample_properties` is the sample event the preview and validation use."""

    key = models.SlugField(_("key"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    subject_ru = models.CharField(_("subject (Russian)"), max_length=200, blank=True)
    body_ru = models.TextField(_("text (Russian)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    sample_properties = models.JSONField(_("sample event properties"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="rules_template_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Rule(TenantOwnedModel):
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    enabled = models.BooleanField(_("enabled"), default=False)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower runs first.")
    )
    pack = models.CharField(_("pack"), max_length=32, blank=True)
    current = models.ForeignKey(
        "RuleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="rules_rule_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code


class Action(models.TextChoices):
    SEND = "send", _("Send a message to the subject")
    ALERT = "alert", _("Alert the team by e-mail")


class OncePer(models.TextChoices):
    NONE = "", _("No limit")
    EVER = "ever", _("Once per subject, ever")
    DAY = "day", _("Once per subject per calendar day")


class RuleVersion(TenantOwnedModel):
    """What a rule did at one time: an edit makes a new version; decisions point at theirs."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    trigger = models.CharField(_("trigger event type"), max_length=100)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=ChannelKind.choices, blank=True)
    marketing = models.BooleanField(_("marketing message"), default=False)
    once_per = models.CharField(_("once"), max_length=8, choices=OncePer.choices, blank=True)
    max_count = models.PositiveIntegerField(_("at most N messages"), null=True, blank=True)
    window_hours = models.PositiveIntegerField(_("per window (hours)"), null=True, blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    # Send `delay_minutes` after the event (or after/before the time in the property `anchor`,
    # e.g. properties.starts_at with -120: two hours before a meeting).
    delay_minutes = models.IntegerField(_("delay (minutes)"), default=0)
    anchor = models.CharField(_("counted from"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rules_version_unique_number"),
        ]
        indexes = [models.Index(fields=["tenant", "trigger"], name="rules_version_trigger")]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.number}"


class Outcome(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Matched and queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    NOT_MATCHED = "not_matched", _("Not matched")


SENDING = (Outcome.SCHEDULED, Outcome.QUEUED, Outcome.SENT)


class Decision(TenantOwnedModel):
    """One (event, rule) evaluation. `reason` is a code; `details` holds its values (the failed
    condition and the actual value, the limit, the earlier decision); reasons.py renders the
    words in Russian and English."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="decisions")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(RuleVersion, on_delete=models.RESTRICT, related_name="+")
    subject = models.CharField(max_length=200)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    details = models.JSONField(default=dict, blank=True)
    earlier = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "once" limits: the rule and subject (and local day); unique, so two workers never both
    # pass the same limit (the loser is recorded as suppressed by the winner).
    dedup_key = models.CharField(max_length=300, null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(fields=["event", "rule"], name="rules_decision_unique_eval"),
            models.UniqueConstraint(
                fields=["tenant", "dedup_key"],
                condition=Q(dedup_key__isnull=False),
                name="rules_decision_unique_dedup",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "subject", "rule", "outcome"], name="rules_dec_subject"),
            models.Index(fields=["outcome", "due_at"], name="rules_dec_due"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.event_id}: {self.outcome}"
