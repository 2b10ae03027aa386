from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.hyropage.navigation import NAV


class HyroPageConfig(AppConfig):
    name = "apps.hyropage"
    label = "hyropage"
    verbose_name = "HyroPage"

    def ready(self) -> None:
        from apps.hyropage import (
            checks,  # noqa: F401 (checks register)
            contributions,
            personal_data,
        )

        contributions.register()
        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
        register_nav(*NAV)
