"""Leads, their lists, products and customers, actions and timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.tenants.scoping import TenantOwnedModel


class ListKind(models.TextChoices):
    REGULAR = "regular", _("Regular")
    UPSELL = "upsell", _("Upsell")
    IMPORT = "import", _("Import")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    BOOKED = "booked", _("Meeting booked")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Source(models.TextChoices):
    WIDGET = "widget", _("Widget")
    WEB_CHAT = "web_chat", _("Web chat")
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    # Set only by the widget on a published HyroPage page (apps/leads/source_tokens.py).
    HYROPAGE = "hyropage", "HyroPage"


class Engagement(models.TextChoices):
    LOW = "Low", _("Low")
    MEDIUM = "Medium", _("Medium")
    HIGH = "High", _("High")


def no_fields() -> list[str]:
    return []


class LeadList(TenantOwnedModel, TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ListKind.choices, default=ListKind.REGULAR
    )
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("lead list")
        verbose_name_plural = _("lead lists")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="leadlist_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TenantOwnedModel, TimeStampedModel):
    """The tenant's offer a lead is about (seed 002 `product_id` is `external_ref`)."""

    external_ref = models.CharField(_("reference"), max_length=128)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_ref"], name="product_unique_ref"),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(TenantOwnedModel, TimeStampedModel):
    """A client of the tenant that buys leads (seed 002 `customer_id` is `external_ref`)."""

    external_ref = models.CharField(_("reference"), max_length=128)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_ref"], name="customer_unique_ref"),
            models.UniqueConstraint(
                "tenant", Lower("email"), condition=~Q(email=""), name="customer_unique_email"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Lead(TenantOwnedModel):
    # Every index below leads with the tenant: a tenant-only index would only slow inserts and,
    # with stale statistics for a young tenant, lure the planner off (tenant, identity_key).
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Identity (see apps/leads/identity.py): who the person is, and for which customer/product.
    person_key = models.CharField(max_length=300)
    identity_key = models.CharField(max_length=340)
    external_id = models.CharField(_("external id"), max_length=128, blank=True, default="")

    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=200, blank=True)
    company_size = models.CharField(_("company size"), max_length=64, blank=True)
    website = models.CharField(_("website"), max_length=300, blank=True)
    # Database defaults: the COPY ingestion path names its columns and leaves these out.
    pain_point = models.TextField(_("pain-point hypothesis"), blank=True, db_default="")
    # Fields AI enrichment looked at and could not determine: {"industry": "<run id>", ...}.
    # Shown as "not determined" (never a guess); a later value or a hand edit clears the key.
    not_determined = models.JSONField(
        _("not determined"),
        default=dict,
        db_default=models.Value({}, models.JSONField()),
        blank=True,
    )

    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    lead_type = models.CharField(_("lead type"), max_length=100, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    list = models.ForeignKey(
        LeadList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The first outbound message or call by an operator or a rule, or the operator marking the
    # lead contacted, whichever came first (messaging sets it; analytics reads it).
    first_contact_at = models.DateTimeField(_("first contacted"), null=True, blank=True)

    # Created by an inbound message while the plan's hard lead quota was spent: kept (the
    # visitor's words are never lost) but not counted and hidden from the table until the
    # plan is upgraded or a new period starts (apps/messaging releases it).
    held = models.BooleanField(_("waiting for quota"), default=False, db_default=False)

    consent_processing = models.BooleanField(_("consent to processing"), default=False)
    consent_processing_at = models.DateTimeField(null=True, blank=True)
    consent_marketing = models.BooleanField(_("consent to marketing"), default=False)
    consent_marketing_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=200, blank=True)

    # Person fields set by hand (PATCH, dashboard): merges and enrichment never overwrite them.
    manual_fields = models.JSONField(_("fields set by hand"), default=no_fields, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "identity_key"], name="lead_unique_identity"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~Q(external_id=""),
                name="lead_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="lead_tenant_created"),
            models.Index(
                fields=["tenant", "status", "created_at", "id"], name="lead_tenant_status"
            ),
            models.Index(fields=["tenant", "source", "-created_at"], name="lead_tenant_source"),
            models.Index(fields=["tenant", "list", "-created_at"], name="lead_tenant_list"),
            models.Index(fields=["tenant", "customer", "product"], name="lead_tenant_customer"),
            models.Index(fields=["tenant", "assigned_to"], name="lead_tenant_assigned"),
            models.Index(fields=["tenant", "lead_type"], name="lead_tenant_type"),
            models.Index(fields=["tenant", "person_key"], name="lead_tenant_person"),
            models.Index(fields=["tenant", "name", "id"], name="lead_tenant_name"),
            # analytics: time-to-first-contact percentiles of a date range, index-only
            models.Index(
                fields=["tenant", "created_at", "first_contact_at"],
                name="lead_tenant_first_contact",
                condition=models.Q(first_contact_at__isnull=False),
            ),
            # analytics: "unanswered now" counted index-only, not by reading every lead
            models.Index(
                fields=["tenant"],
                name="lead_tenant_unanswered",
                condition=models.Q(status="new", first_contact_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"lead {self.pk}"


class LeadAction(TenantOwnedModel):
    tenant = models.ForeignKey(  # (tenant, occurred_at) covers tenant-only lookups
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="actions")
    action_type = models.CharField(_("action"), max_length=100)
    engagement_level = models.CharField(_("engagement"), max_length=8, choices=Engagement.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    channel = models.CharField(_("channel"), max_length=16, choices=Source.choices, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lead action")
        verbose_name_plural = _("lead actions")
        constraints = [
            # Re-submitting the same action appends nothing (idempotent ingestion).
            models.UniqueConstraint(
                fields=["lead", "action_type", "engagement_level", "occurred_at"],
                name="leadaction_natural_key",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "occurred_at"], name="leadaction_tenant_time")]

    def __str__(self) -> str:
        return f"{self.action_type} ({self.engagement_level})"


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Lead created")
    MERGED = "merged", _("New submission merged")
    STATUS = "status_changed", _("Status changed")
    NOTE = "note", _("Note")
    MESSAGE_IN = "message_in", _("Message received")
    MESSAGE_OUT = "message_out", _("Message sent")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated to inbox")
    MOVED = "moved", _("Moved to list")
    UPDATED = "updated", _("Fields updated")
    ENRICHED = "enriched", _("Enriched by AI")


class TimelineEntry(TenantOwnedModel):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["lead", "-created_at"], name="timeline_lead_time")]

    def __str__(self) -> str:
        return self.kind


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class LeadExport(TenantOwnedModel):
    """A background export of a lead filter to a file under MEDIA_ROOT/exports/."""

    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(_("rows to export"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows exported"), default=0)
    file = models.CharField(_("file"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead export")
        verbose_name_plural = _("lead exports")
        indexes = [models.Index(fields=["tenant", "-created_at"], name="leadexport_tenant_time")]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"

    @property
    def progress(self) -> int:
        """Percent done (0-100)."""
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


from apps.leads.models_imports import ImportJob, ImportStatus  # noqa: E402, F401  (file imports)
from apps.leads.models_intake import (  # noqa: E402, F401  (the widget's intake queue)
    WidgetIntake,
)
from apps.leads.models_widget import (  # noqa: E402, F401  (the widget)
    WidgetAsset,
    WidgetConfig,
    WidgetOriginAttempt,
)
