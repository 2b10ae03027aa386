"""The onboarding wizard's progress, per tenant (apps/web/onboarding.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel


class OnboardingProgress(TenantOwnedModel):
    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(_("current step"), max_length=20, default="company")
    done = models.JSONField(_("steps done"), default=list, blank=True)
    skipped = models.JSONField(_("steps skipped"), default=list, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    tour_seen = models.BooleanField(_("guided tour seen"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("onboarding progress")
        verbose_name_plural = _("onboarding progress")

    def __str__(self):
        return f"onboarding: {self.step}"
