from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _setup_schedules(sender, using="default", **kwargs) -> None:
    from apps.billing.schedules import setup_schedules

    setup_schedules(using=using)


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        post_migrate.connect(_setup_schedules, sender=self, dispatch_uid="billing_schedules")
