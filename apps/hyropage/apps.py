from django.apps import AppConfig

from apps.ai.providers.offline import register_offline_handler
from apps.core.navigation import register_nav
from apps.hyropage.navigation import NAV


class HyroPageConfig(AppConfig):
    name = "apps.hyropage"
    label = "hyropage"
    verbose_name = "HyroPage"

    def ready(self) -> None:
        from apps.hyropage import checks  # noqa: F401 (checks register)
        from apps.hyropage.offline import offline_handler
        from apps.hyropage.schema import PageContent

        register_offline_handler(PageContent, offline_handler)
        register_nav(*NAV)
