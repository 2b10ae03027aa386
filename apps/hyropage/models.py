"""HyroPage: a landing page per offer, its versions, its generations and its counters.

The page's content is the validated `PageContent` (schema.py) as JSON; our templates render it,
never model HTML. Every change of content is a new `PageVersion` (restorable); `Generation`
records each AI call: the model asked for, the model that answered (after fallbacks), status
and the AIUsage row that logged its tokens and cost.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.tenants.scoping import TenantOwnedModel


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class Tone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly")
    EXPERT = "expert", _("Expert")
    BOLD = "bold", _("Bold")
    FORMAL = "formal", _("Formal")


class PageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class GenerationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class HyroPage(TenantOwnedModel, TimeStampedModel):
    slug = models.SlugField(_("address"), max_length=80)
    # the brief
    product = models.CharField(_("product or offer"), max_length=300)
    audience = models.CharField(_("audience"), max_length=300)
    tone = models.CharField(_("tone"), max_length=16, choices=Tone.choices, default=Tone.FRIENDLY)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.RU
    )
    booking_url = models.URLField(_("booking link"), max_length=500, blank=True)
    details = models.TextField(_("facts to use"), max_length=2000, blank=True)
    # A personal page for one lead (its name in the text): never indexed, not in the sitemap,
    # at an unguessable address; deleted with the lead.
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # the page
    content = models.JSONField(_("content"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=PageStatus.choices, default=PageStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("HyroPage page")
        verbose_name_plural = _("HyroPage pages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="hyropage_tenant_slug"),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="hyropage_tenant_status")]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_published(self) -> bool:
        return self.status == PageStatus.PUBLISHED

    @property
    def personal(self) -> bool:
        return self.lead_id is not None

    @property
    def title(self) -> str:
        return (self.content or {}).get("title", "") or self.product


class PageVersion(TenantOwnedModel):
    page = models.ForeignKey(HyroPage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    content = models.JSONField(_("content"))
    note = models.CharField(_("what changed"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "page", "number"], name="hyropage_version_unique"
            ),
        ]


class Generation(TenantOwnedModel, TimeStampedModel):
    page = models.ForeignKey(HyroPage, on_delete=models.CASCADE, related_name="generations")
    status = models.CharField(
        max_length=16, choices=GenerationStatus.choices, default=GenerationStatus.PENDING
    )
    model_requested = models.CharField(_("model asked for"), max_length=100)
    model_used = models.CharField(_("model that answered"), max_length=100, blank=True)
    offline = models.BooleanField(_("offline generator"), default=False)
    models_tried = models.JSONField(_("models tried"), default=list, blank=True)
    usage_ids = models.JSONField(_("AI usage rows"), default=list, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"], name="hyropage_gen_tenant_time")]
