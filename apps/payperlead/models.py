"""Pay-per-lead: rate cards (versioned), billing periods, reports and their lines.

The models lived in the `billing` app until they moved here; their tables, indexes and
constraints keep the `billing_*` names they were created with (migrations/0001_initial.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.payperlead import engine
from apps.tenants.scoping import TenantOwnedModel

# The card every tenant starts with (seed 002): High 10.00, Medium 5.00, Low 2.00 USD, cap
# 100.00 per person per customer per product per month. It becomes the tenant's first default
# card row (version 1) on first use; prices then live in that row, editable by publishing a new
# version.
DEFAULT_CARD = {
    "currency": "USD",
    "value_high": 1000,
    "value_medium": 500,
    "value_low": 200,
    "cap": 10000,
}
# Ingestion accepts no action before this moment, so a card valid from it covers everything.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class RateCard(TenantOwnedModel):
    """One version of a rate card. The scope is the tenant default (no customer, no lead type),
    or an override for a customer, a lead type, or both. A new version closes the previous one
    (`valid_to`); versions are never edited, so a closed period keeps its prices."""

    customer = models.ForeignKey(
        "leads.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
        help_text=_("Empty: every customer."),
    )
    lead_type = models.CharField(
        _("lead type"), max_length=100, blank=True, help_text=_("Empty: every lead type.")
    )
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    value_high = models.PositiveBigIntegerField(_("High, minor units"))
    value_medium = models.PositiveBigIntegerField(_("Medium, minor units"))
    value_low = models.PositiveBigIntegerField(_("Low, minor units"))
    cap = models.PositiveBigIntegerField(
        _("cap per person, minor units"),
        help_text=_("Per person, customer, product and month."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        db_table = "billing_ratecard"
        verbose_name = _("rate card")
        verbose_name_plural = _("rate cards")
        ordering = ["customer_id", "lead_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "lead_type", "version"],
                condition=Q(customer__isnull=True),
                name="ratecard_unique_version",
            ),
            models.UniqueConstraint(
                fields=["tenant", "customer", "lead_type", "version"],
                condition=Q(customer__isnull=False),
                name="ratecard_unique_customer_version",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="ratecard_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "valid_from"], name="ratecard_tenant_from")]

    def __str__(self) -> str:
        return f"{self.scope_label} v{self.version}"

    @property
    def scope_label(self) -> str:
        parts = [str(self.customer) if self.customer_id else str(_("all customers"))]
        parts.append(self.lead_type or str(_("all lead types")))
        return " · ".join(parts)

    def as_card(self) -> engine.Card:
        return engine.Card(
            id=self.pk,
            version=self.version,
            customer_id=self.customer_id,
            lead_type=self.lead_type,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            currency=self.currency,
            values={"High": self.value_high, "Medium": self.value_medium, "Low": self.value_low},
            cap=self.cap,
        )


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BillingPeriod(TenantOwnedModel):
    """A tenant's billing month (UTC). No row means open; closing freezes its reports."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"), max_length=8, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "billing_billingperiod"
        verbose_name = _("billing period")
        verbose_name_plural = _("billing periods")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="billingperiod_unique_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.get_status_display()})"

    @property
    def is_closed(self) -> bool:
        return self.status == PeriodStatus.CLOSED


class PeriodValuation(TenantOwnedModel):
    """How fresh a month's stored reports are. Arriving actions mark the month changed and
    queue one refresh (`queued` keeps a burst of batches to one task); the refresh stores
    every customer's report and lines and records `valued_at`, the moment its reading began:
    pages and the API read the stored reports "as of" that time and never recompute.

    Kept apart from `BillingPeriod`, whose row a refresh locks for its whole run: marking a
    month changed must not wait for a running refresh."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    changed_at = models.DateTimeField(_("actions changed"), null=True, blank=True)
    valued_at = models.DateTimeField(_("valued as of"), null=True, blank=True)
    queued = models.BooleanField(_("refresh queued"), default=False)
    # The last refresh's failure (no card in force, cards in two currencies), shown instead of
    # the stored reports until a refresh succeeds.
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("period valuation")
        verbose_name_plural = _("period valuations")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="periodvaluation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def pending(self) -> bool:
        """Actions arrived after the stored valuation (a refresh is on its way)."""
        if self.valued_at is None:
            return True
        return self.queued or (self.changed_at is not None and self.changed_at > self.valued_at)


_BILLED_PLUS_SAVINGS = models.F("billed") + models.F("savings_duplicate") + models.F("savings_cap")


class BillingReport(TenantOwnedModel):
    """A customer's bill for one month: totals overall and per product, with every line
    stored. An open month's reports are refreshed in the background as actions arrive
    (`PeriodValuation`); closing the period values it one last time and freezes them."""

    customer = models.ForeignKey(
        "leads.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("period"), help_text=_("The first day of the month."))
    currency = models.CharField(_("currency"), max_length=3)
    actions_count = models.PositiveIntegerField(_("actions"), default=0)
    gross = models.BigIntegerField(_("gross"), default=0)
    billed = models.BigIntegerField(_("billed"), default=0)
    savings_duplicate = models.BigIntegerField(_("saved: duplicates"), default=0)
    savings_cap = models.BigIntegerField(_("saved: cap"), default=0)
    unpriced_count = models.PositiveIntegerField(_("unpriced actions"), default=0)
    adjustments = models.JSONField(_("adjustments"), default=dict, blank=True)
    products = models.JSONField(_("totals per product"), default=list, blank=True)
    default_card_lead_types = models.JSONField(
        _("lead types without a card of their own"), default=list, blank=True
    )
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    frozen = models.BooleanField(_("frozen"), default=False)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    # Fingerprint of the stored lines (line_store.py): a refresh leaves equal lines in place.
    lines_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        db_table = "billing_billingreport"
        verbose_name = _("billing report")
        verbose_name_plural = _("billing reports")
        ordering = ["-period", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "period"], name="billingreport_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(gross=_BILLED_PLUS_SAVINGS),
                name="billingreport_totals_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period:%Y-%m}"

    @property
    def savings(self) -> int:
        return self.savings_duplicate + self.savings_cap


class LineReason(models.TextChoices):
    NONE = engine.REASON_NONE, _("Billed")
    DUPLICATE = engine.REASON_DUPLICATE, _("Duplicate")
    CAP = engine.REASON_CAP, _("Over the cap")
    UNPRICED = engine.REASON_UNPRICED, _("Unknown engagement level")


class BillingLine(TenantOwnedModel):
    """One valued action of a stored report (open or frozen). What identifies the action is
    copied onto the line, so a bill stays readable after leads or actions are deleted.

    The links to the lead, action, duplicated action and product are navigation, not
    integrity: they carry no database constraint (Django still sets them null when those rows
    are deleted). A refresh writes a million lines at a time, and each such constraint costs
    a lookup per line at commit (25 of the 35 s spent on checks at 1M lines)."""

    report = models.ForeignKey(
        BillingReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="lines"
    )
    lead = models.ForeignKey(
        "leads.Lead",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # The lead's own reference as the valuation read it: the CSV streams the lines alone.
    lead_ref = models.CharField(_("lead reference"), max_length=128, blank=True, default="")
    action = models.ForeignKey(
        "leads.LeadAction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    action_ref = models.BigIntegerField(_("action id"))
    product = models.ForeignKey(
        "leads.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    person_key = models.CharField(max_length=300)
    lead_type = models.CharField(_("lead type"), max_length=100, blank=True)
    action_type = models.CharField(_("action"), max_length=100)
    engagement = models.CharField(_("engagement"), max_length=8)
    occurred_at = models.DateTimeField(_("occurred at"))
    action_period = models.DateField(_("action's period"))
    value = models.BigIntegerField(_("value"))
    billed = models.BigIntegerField(_("billed"))
    savings = models.BigIntegerField(_("saved"))
    reason = models.CharField(_("reason"), max_length=16, choices=LineReason.choices)
    duplicate_of = models.ForeignKey(
        "leads.LeadAction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    duplicate_of_ref = models.BigIntegerField(_("duplicates action"), null=True, blank=True)
    billed_before = models.BigIntegerField(_("billed to the person before"), default=0)
    card = models.ForeignKey(RateCard, on_delete=models.PROTECT, related_name="+")
    card_version = models.PositiveIntegerField(_("card version"))
    default_card = models.BooleanField(_("lead type without its own card"), default=False)
    adjustment = models.BooleanField(_("adjustment"), default=False)

    class Meta:
        db_table = "billing_billingline"
        verbose_name = _("billing line")
        verbose_name_plural = _("billing lines")
        ordering = ["occurred_at", "action_ref"]
        constraints = [
            models.UniqueConstraint(fields=["report", "action_ref"], name="billingline_unique"),
            models.CheckConstraint(
                condition=Q(value=models.F("billed") + models.F("savings")),
                name="billingline_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "action_period", "action_ref"], name="billingline_act"),
            # The stored report's reading order (CSV, drill-down, API).
            models.Index(
                fields=["report", "adjustment", "occurred_at", "action_ref"],
                name="billingline_report_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} ({self.engagement}) {self.billed}"


def month_start(value: date | datetime) -> date:
    return date(value.year, value.month, 1)


def month_bounds(period: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in UTC."""
    start = datetime(period.year, period.month, 1, tzinfo=UTC)
    end = datetime(period.year + period.month // 12, period.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def next_month(period: date) -> date:
    return month_bounds(period)[1].date()


def previous_month(period: date) -> date:
    if period.month == 1:
        return date(period.year - 1, 12, 1)
    return date(period.year, period.month - 1, 1)
