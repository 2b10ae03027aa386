from django.apps import AppConfig

from apps.channels.navigation import NAV
from apps.core.navigation import register_nav
from apps.leads.widget_channels import register_channel_choices


class ChannelsConfig(AppConfig):
    name = "apps.channels"
    label = "channels"

    def ready(self) -> None:
        from apps.channels.selectors import widget_channel_choices  # models load after apps

        register_nav(*NAV)
        register_channel_choices(widget_channel_choices)
