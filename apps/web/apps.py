from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.web.navigation import NAV


class WebConfig(AppConfig):
    name = "apps.web"
    label = "web"

    def ready(self) -> None:
        from apps.web import onboarding  # its models load after the apps

        register_nav(*NAV)
        onboarding.register()  # new companies start the onboarding wizard
