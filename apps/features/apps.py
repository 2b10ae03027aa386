from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.features.navigation import NAV
from apps.features.schedules import SCHEDULES


def _after_migrate(sender, using="default", **kwargs) -> None:
    """Re-create missing release flags (a `flush` empties what the data migration made)."""
    from django.db import connections
    from waffle import get_waffle_flag_model

    from apps.features.flags import flags_ensure_seeded

    if get_waffle_flag_model()._meta.db_table in connections[using].introspection.table_names():
        flags_ensure_seeded(using=using)


class FeaturesConfig(AppConfig):
    name = "apps.features"
    label = "features"
    verbose_name = _("Tools and release flags")

    def ready(self) -> None:
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="features_after_migrate")
        from apps.features import tenant_hooks

        tenant_hooks.register()  # API keys need the API access tool
        register_nav(*NAV)
        register_schedules(*SCHEDULES)
