"""Per-tenant tool overrides with their history, and the release flag model."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from waffle.models import CACHE_EMPTY, AbstractUserFlag
from waffle.utils import get_cache, get_setting, keyfmt

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


class ReleaseFlag(AbstractUserFlag):
    """django-waffle's flag plus a tenant whitelist (WAFFLE_FLAG_MODEL).

    Waffle targets users and groups; a release such as the beta dashboard goes to whole
    companies. `flag_is_active(request, name)` and `{% flag %}` are on for the request's
    tenant when it is whitelisted, unless the flag is switched off for everyone.
    """

    tenants = models.ManyToManyField(
        "tenants.Tenant",
        blank=True,
        related_name="+",
        verbose_name=_("tenants"),
        help_text=_("Activate this flag for these companies."),
    )

    class Meta(AbstractUserFlag.Meta):
        verbose_name = _("release flag")
        verbose_name_plural = _("release flags")

    def get_flush_keys(self, flush_keys=None):
        flush_keys = super().get_flush_keys(flush_keys)
        flush_keys.append(self._tenants_cache_key())
        return flush_keys

    def _tenants_cache_key(self) -> str:
        return keyfmt(get_setting("FLAG_TENANTS_CACHE_KEY", "flag:%s:tenants"), self.name)

    def tenant_ids(self) -> set:
        cache = get_cache()
        cached = cache.get(self._tenants_cache_key())
        if cached == CACHE_EMPTY:
            return set()
        if cached:
            return cached
        ids = {str(pk) for pk in self.tenants.values_list("pk", flat=True)}
        cache.add(self._tenants_cache_key(), ids or CACHE_EMPTY)
        return ids

    def is_active(self, request, read_only: bool = False) -> bool | None:
        if self.pk and self.everyone is None:
            tenant = getattr(request, "tenant", None)
            if tenant is not None and str(tenant.pk) in self.tenant_ids():
                return True
        return super().is_active(request, read_only=read_only)
