from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.tenants.navigation import NAV


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"

    def ready(self) -> None:
        from apps.tenants import cors  # noqa: F401  (registers the CORS origin check)

        register_nav(*NAV)
