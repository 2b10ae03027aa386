"""Analytics rollups: what the dashboard reads instead of scanning millions of leads.

`DailyLeadStats` holds, per tenant, calendar day in the tenant's time zone, source and list,
the leads created that day and how far they have got since (a cohort row: a lead created on
Monday and won on Friday counts as won in Monday's row). Rows are recomputed from the leads
table for the days an event touches (apps/analytics/rollups.py) and by a beat task for the
recent days, so a recount of the raw table always equals the rollup.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel

# Upper bounds (seconds) of the time-to-first-contact histogram buckets; the last is open.
TTFC_BOUNDS = (5 * 60, 15 * 60, 60 * 60, 4 * 3600, 24 * 3600, 72 * 3600)
TTFC_BUCKETS = len(TTFC_BOUNDS) + 1
NO_LIST = 0  # list_id of leads in no list (a real 0 keeps the unique key simple)


class DailyLeadStats(TenantOwnedModel):
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=16)
    list_id = models.BigIntegerField(default=NO_LIST)
    created = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    booked = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)
    ttfc_count = models.PositiveIntegerField(default=0)
    ttfc_seconds = models.BigIntegerField(default=0)
    h0 = models.PositiveIntegerField(default=0)
    h1 = models.PositiveIntegerField(default=0)
    h2 = models.PositiveIntegerField(default=0)
    h3 = models.PositiveIntegerField(default=0)
    h4 = models.PositiveIntegerField(default=0)
    h5 = models.PositiveIntegerField(default=0)
    h6 = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily lead statistics")
        verbose_name_plural = _("daily lead statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "source", "list_id"], name="dailyleadstats_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day} {self.source} {self.list_id}"


class WeeklyReport(TenantOwnedModel):
    """One weekly e-mail per tenant and ISO week (the idempotency key of the beat task)."""

    week = models.CharField(max_length=10)  # "2026-W49"
    sent_to = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "week"], name="weeklyreport_unique_week")
        ]


class ReportOptOut(TenantOwnedModel):
    """A member who asked (by the signed link in the e-mail) not to get the weekly report."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="reportoptout_unique_user")
        ]


class LeadDropAlert(TenantOwnedModel):
    """The day whose lead count fell below half the 4-week median (sent once per day)."""

    day = models.DateField()
    count = models.PositiveIntegerField()
    median = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="leaddropalert_unique_day")
        ]


class BusinessMetrics(DailyLeadStats):
    """No table of its own: the staff "Business metrics" page's place in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("business metrics")
        verbose_name_plural = _("business metrics")
