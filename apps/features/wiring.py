"""What features registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from django.apps import apps as django_apps
from django.core import checks
from django.db import connections
from django.db.models.signals import post_migrate
from waffle import get_waffle_flag_model

from apps.billing.events import AccessStateChanged, PlanCatalogueChanged, SubscriptionChanged
from apps.billing.plan_tools import plan_tools_register
from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.core.release_flags import flag_check_register
from apps.core.schedules import register_schedules
from apps.features import tenant_hooks
from apps.features.checks import live_tools_have_their_routes
from apps.features.flags import flag_active, flags_ensure_seeded
from apps.features.navigation import NAV
from apps.features.registry import live_tool_keys, tool_catalogue
from apps.features.schedules import SCHEDULES
from apps.features.selectors import on_billing_changed, on_plan_catalogue_changed


def connect() -> None:
    checks.register(live_tools_have_their_routes, checks.Tags.urls)
    post_migrate.connect(
        _after_migrate,
        sender=django_apps.get_app_config("features"),
        dispatch_uid="features_after_migrate",
    )

    tenant_hooks.register()  # API keys need the API access tool
    register_nav(*NAV)
    register_schedules(*SCHEDULES)
    plan_tools_register(tool_catalogue, live_tool_keys)  # Plan.tools keys; which are sold
    flag_check_register(flag_active)  # release flags with the per-company whitelist
    # In billing's transaction: its own later reads (and the tests') see the new tools,
    # and the snapshot's token is bumped once more when the change commits.
    subscribe(SubscriptionChanged, on_billing_changed, in_transaction=True)
    subscribe(AccessStateChanged, on_billing_changed, in_transaction=True)
    subscribe(PlanCatalogueChanged, on_plan_catalogue_changed, in_transaction=True)


def _after_migrate(sender, using="default", **kwargs) -> None:
    """Re-create missing release flags (a `flush` empties what the data migration made)."""
    if get_waffle_flag_model()._meta.db_table in connections[using].introspection.table_names():
        flags_ensure_seeded(using=using)
