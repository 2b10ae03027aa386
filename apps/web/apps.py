from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.web.navigation import NAV


class WebConfig(AppConfig):
    name = "apps.web"
    label = "web"

    def ready(self) -> None:
        register_nav(*NAV)
