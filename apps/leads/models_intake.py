"""The widget's intake queue (apps/leads/widget_intake.py): a submission answered before it is
stored waits here, in the database, until a drain stores it with its batch.

Imported at the end of apps/leads/models.py so that Django registers the model with the app.
A row's payload (the person's data) is emptied in the transaction that stores the lead; the
row stays a day as the mark that tells a retried press of "Send" apart, then is purged.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.tenants.scoping import TenantOwnedModel


class WidgetIntake(TenantOwnedModel):
    submission_id = models.UUIDField(_("submission id"), null=True, blank=True)
    # {"item": the ingestion item, "source": ..., "consent_source": ...}; {} once stored
    payload = models.JSONField(_("payload"), default=dict)
    held_period = models.DateTimeField(
        _("lead held in the period"),
        null=True,
        blank=True,
        help_text=_("A hard-limited plan's lead was reserved on this period's meter."),
    )
    received_at = models.DateTimeField(_("received at"))
    stored_at = models.DateTimeField(_("stored at"), null=True, blank=True)
    lead_id = models.BigIntegerField(_("lead"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("queued widget submission")
        verbose_name_plural = _("queued widget submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "submission_id"],
                condition=Q(submission_id__isnull=False),
                name="widget_intake_one_per_press",
            )
        ]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(stored_at__isnull=True, failed_at__isnull=True),
                name="widget_intake_waiting",
            ),
            models.Index(fields=["received_at"], name="widget_intake_received"),
        ]
