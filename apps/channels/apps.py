from django.apps import AppConfig

from apps.channels.navigation import NAV
from apps.core.navigation import register_nav


class ChannelsConfig(AppConfig):
    name = "apps.channels"
    label = "channels"

    def ready(self) -> None:
        register_nav(*NAV)
