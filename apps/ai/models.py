"""The usage log: one `AIUsage` row per LLM call (all its retries), with tokens and cost.

Tenant-owned with the scoped manager like every tenant row; a platform call (no tenant: ops
tooling, a staff action) has `tenant=None` and is written and read only through the explicit
unscoped paths (`AIUsage.objects.platform()`, `unscoped()`), so it never shows up in a
tenant's scope.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel, TenantScopedManager, TenantScopedQuerySet


class Provider(models.TextChoices):
    ANTHROPIC = "anthropic", "Anthropic (Claude)"
    GEMINI = "gemini", "Google (Gemini)"
    OFFLINE = "offline", _("Offline heuristic")


class Outcome(models.TextChoices):
    OK = "ok", _("ok")
    ERROR = "error", _("error")
    REFUSED = "refused", _("refused")


class AIUsageManager(TenantScopedManager):
    def platform(self) -> TenantScopedQuerySet:
        """Calls made for the platform itself (no tenant), on purpose outside any scope."""
        return self.unscoped().filter(tenant__isnull=True)


class AIUsage(TenantOwnedModel):
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty for platform calls."),
    )
    purpose = models.CharField(_("purpose"), max_length=64, db_index=True)
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    offline = models.BooleanField(_("offline"), default=False)
    model = models.CharField(_("model requested"), max_length=100)
    model_version = models.CharField(_("model version"), max_length=100, blank=True)
    input_tokens = models.PositiveIntegerField(_("input tokens"), default=0)
    output_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    cost = models.DecimalField(_("cost, USD"), max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(_("latency, ms"), default=0)
    total_ms = models.PositiveIntegerField(
        _("total time, ms"), default=0, help_text=_("Including rate-limit waits and retries.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.CharField(_("reason"), max_length=500, blank=True)
    request_id = models.CharField(_("provider request id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    objects = AIUsageManager()

    class Meta:
        verbose_name = _("AI usage")
        verbose_name_plural = _("AI usage")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="aiusage_tenant_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.purpose} {self.outcome} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
