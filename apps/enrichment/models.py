"""AI enrichment records: a run (who asked, for which leads, what it cost and earned) and one
row per lead of the run. The input hash makes re-runs idempotent: a lead whose facts did not
change since its last enrichment is skipped (unless forced).

The models moved here from apps.leads (migration leads 0009 / enrichment 0001): their tables,
indexes and constraints keep their old names."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel


class EnrichmentRunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    DECLINED = "declined", _("Payment declined")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class EnrichmentRun(TenantOwnedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope = models.JSONField(
        _("what was selected"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"lead_ids": [...]}, {"list_id": 7} or {"filter": {...}}.'),
    )
    force = models.BooleanField(_("re-enrich unchanged leads"), default=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrichmentRunStatus.choices,
        default=EnrichmentRunStatus.PENDING,
    )
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    # Counts: selected = leads matched; billable = leads that will really be enriched.
    leads_selected = models.PositiveIntegerField(_("leads selected"), default=0)
    leads_billable = models.PositiveIntegerField(_("leads to enrich"), default=0)
    leads_enriched = models.PositiveIntegerField(_("enriched"), default=0)
    # Answered, but no new field was determined: not paid for (given back at settle).
    leads_nothing_found = models.PositiveIntegerField(_("nothing found"), default=0)
    leads_failed = models.PositiveIntegerField(_("failed"), default=0)
    leads_skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # Billing: the paid-action charge (apps.billing UsageCharge) and its reference.
    usage_charge = models.ForeignKey(
        "billing.UsageCharge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    billing_reference = models.CharField(_("billing reference"), max_length=100, blank=True)
    price_amount = models.BigIntegerField(_("charged, minor units"), default=0)
    price_currency = models.CharField(_("currency"), max_length=3, blank=True)
    # Provider cost of the run's AI calls (USD, from AIUsage), for staff margins.
    token_cost = models.DecimalField(_("AI cost, USD"), max_digits=12, decimal_places=6, default=0)
    input_tokens = models.PositiveBigIntegerField(_("input tokens"), default=0)
    output_tokens = models.PositiveBigIntegerField(_("output tokens"), default=0)
    offline = models.BooleanField(
        _("offline heuristic"), default=False, help_text=_("No AI key: heuristic enricher.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The charge settled (after the run is done, by a task): the page shows it from then on.
    settled_at = models.DateTimeField(_("charge settled"), null=True, blank=True)

    class Meta:
        db_table = "leads_enrichmentrun"  # moved from apps.leads; the table stays
        verbose_name = _("enrichment run")
        verbose_name_plural = _("enrichment runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="enrichmentrun_tenant")]

    def __str__(self) -> str:
        return f"enrichment {self.pk}"

    @property
    def leads_done(self) -> int:
        return (
            self.leads_enriched + self.leads_nothing_found + self.leads_failed + self.leads_skipped
        )

    @property
    def progress_percent(self) -> int:
        total = self.leads_selected
        return 100 if not total else min(100, self.leads_done * 100 // total)


class LeadEnrichmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    ENRICHED = "enriched", _("Enriched")
    NOTHING_FOUND = "nothing_found", _("Nothing found (free)")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class LeadEnrichment(TenantOwnedModel):
    """One lead in one run. `lead` is nulled if the lead is deleted (the record stays)."""

    run = models.ForeignKey(EnrichmentRun, on_delete=models.CASCADE, related_name="items")
    lead = models.ForeignKey(
        "leads.Lead", null=True, on_delete=models.SET_NULL, related_name="enrichments"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=LeadEnrichmentStatus.choices,
        default=LeadEnrichmentStatus.PENDING,
    )
    failure_reason = models.CharField(_("reason"), max_length=300, blank=True)
    input_hash = models.CharField(_("input hash"), max_length=64)
    billable = models.BooleanField(_("billable"), default=True)
    fields = models.JSONField(
        _("result"),
        default=dict,
        blank=True,
        help_text=_('Normalized fields; a field not determined is null: {"industry": null}.'),
    )
    applied_fields = models.JSONField(_("written to the lead"), default=list, blank=True)
    # What the answer changed on the lead (a lead is paid for only when this is not empty),
    # and the fields the lead already had (kept as they were, never "not determined").
    new_fields = models.JSONField(_("newly determined"), default=list, blank=True)
    kept_fields = models.JSONField(_("kept as they were"), default=list, blank=True)
    raw_response = models.JSONField(_("raw response"), default=dict, blank=True)
    model_version = models.CharField(_("model version"), max_length=100, blank=True)
    input_tokens = models.PositiveIntegerField(_("input tokens"), default=0)
    output_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    cost = models.DecimalField(_("AI cost, USD"), max_digits=12, decimal_places=6, default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the current attempt claimed the row: a row still running long after it (its worker
    # was killed and the message lost) is queued again by the recovery beat.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        db_table = "leads_leadenrichment"  # moved from apps.leads; the table stays
        verbose_name = _("lead enrichment")
        verbose_name_plural = _("lead enrichments")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "lead"], name="leadenrichment_run_lead"),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="leadenrichment_run_status"),
            models.Index(fields=["tenant", "lead", "input_hash"], name="leadenrichment_input"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.lead_id}: {self.status}"
