from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _after_migrate(sender, using="default", **kwargs) -> None:
    """Beat schedules, and the seed plans if missing (a `flush` empties the tables the data
    migration filled; staff edits are never overwritten)."""
    from django.db import connections
    from django_celery_beat.models import PeriodicTask

    from apps.billing.models import Plan
    from apps.billing.schedules import setup_schedules
    from apps.billing.selectors import plans_ensure_seeded

    tables = set(connections[using].introspection.table_names())
    if PeriodicTask._meta.db_table in tables:  # not when migrating backwards past them
        setup_schedules(using=using)
    if Plan._meta.db_table in tables:
        plans_ensure_seeded(using=using)


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="billing_after_migrate")
        from apps.billing.services.settlement import register_payment_purposes
        from apps.billing.stripe_sync import connect_signals

        register_payment_purposes()  # what a settled payment of each purpose does
        connect_signals()  # dj-stripe's verified webhooks drive our subscriptions
