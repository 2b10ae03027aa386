"""What billing registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from django.apps import apps as django_apps
from django.db import connections
from django.db.models.signals import post_migrate

from apps.billing import tenant_hooks
from apps.billing.models import Plan
from apps.billing.navigation import NAV
from apps.billing.schedules import SCHEDULES
from apps.billing.selectors import plans_ensure_seeded
from apps.billing.services.settlement import register_payment_purposes
from apps.billing.stripe_sync import connect_signals
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules


def connect() -> None:
    post_migrate.connect(
        _after_migrate,
        sender=django_apps.get_app_config("billing"),
        dispatch_uid="billing_after_migrate",
    )
    register_payment_purposes()  # what a settled payment of each purpose does
    connect_signals()  # dj-stripe's verified webhooks drive our subscriptions
    tenant_hooks.register()  # the trial on TenantCreated, member and company limits
    register_nav(*NAV)
    register_schedules(*SCHEDULES)


def _after_migrate(sender, using="default", **kwargs) -> None:
    """The seed plans if missing (a `flush` empties the tables the data migration filled;
    staff edits are never overwritten)."""
    if Plan._meta.db_table in connections[using].introspection.table_names():
        plans_ensure_seeded(using=using)
