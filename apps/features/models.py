"""Per-tenant tool overrides with their history, and release flag tenant whitelists."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.tenants.scoping import TenantOwnedModel


class OverrideMode(models.TextChoices):
    GRANT = "grant", _("Granted")
    TRIAL = "trial", _("On trial")
    REVOKE = "revoke", _("Revoked")


class TenantFeature(TenantOwnedModel, TimeStampedModel):
    """A manual override of one tool for one tenant; it wins over the plan and survives plan
    changes. `feature` is a registry key stored as text, so a new tool needs no migration."""

    feature = models.CharField(_("tool"), max_length=64)
    mode = models.CharField(_("mode"), max_length=8, choices=OverrideMode.choices)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("set by"),
    )

    class Meta:
        verbose_name = _("tool override")
        verbose_name_plural = _("tool overrides")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "feature"], name="tenantfeature_unique"),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=models.Q(expires_at__isnull=False),
                name="tenantfeature_expiring",
            )
        ]

    def __str__(self) -> str:
        return f"{self.feature}: {self.mode}"

    def is_active(self, now=None) -> bool:
        return self.expires_at is None or self.expires_at > (now or timezone.now())


class HistoryAction(models.TextChoices):
    SET = "set", _("Set")
    REMOVED = "removed", _("Removed")
    EXPIRED = "expired", _("Expired")


class TenantFeatureHistory(TenantOwnedModel):
    """Who changed which override, when and why (append-only)."""

    feature = models.CharField(_("tool"), max_length=64)
    action = models.CharField(_("action"), max_length=8, choices=HistoryAction.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=OverrideMode.choices, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("tool override history")
        verbose_name_plural = _("tool override history")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="featurehistory_tenant")]

    def __str__(self) -> str:
        return f"{self.feature} {self.action}"


class FlagTenant(models.Model):
    """A company on a release flag's whitelist.

    django-waffle targets users, groups and percentages; a release such as the beta dashboard
    goes to whole companies. `apps.features.flags.flag_active(request, name)` (and the
    `{% release_flag %}` tag) is on for the request's tenant when it is listed here, unless
    staff switched the flag off for everyone; otherwise waffle decides as usual.
    """

    flag = models.ForeignKey(
        "waffle.Flag", on_delete=models.CASCADE, related_name="tenant_whitelist"
    )
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("whitelisted company")
        verbose_name_plural = _("whitelisted companies")
        constraints = [
            models.UniqueConstraint(fields=["flag", "tenant"], name="flagtenant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.flag_id}: {self.tenant_id}"
