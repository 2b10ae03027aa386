from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from apps.billing.navigation import NAV
from apps.billing.schedules import SCHEDULES
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules


def _after_migrate(sender, using="default", **kwargs) -> None:
    """The seed plans if missing (a `flush` empties the tables the data migration filled;
    staff edits are never overwritten)."""
    from django.db import connections

    from apps.billing.models import Plan
    from apps.billing.selectors import plans_ensure_seeded

    if Plan._meta.db_table in connections[using].introspection.table_names():
        plans_ensure_seeded(using=using)


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="billing_after_migrate")
        from apps.billing import tenant_hooks
        from apps.billing.services.settlement import register_payment_purposes
        from apps.billing.stripe_sync import connect_signals

        register_payment_purposes()  # what a settled payment of each purpose does
        connect_signals()  # dj-stripe's verified webhooks drive our subscriptions
        tenant_hooks.register()  # the trial on TenantCreated, member and company limits
        register_nav(*NAV)
        register_schedules(*SCHEDULES)
