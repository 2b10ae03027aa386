"""What channels registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.channels.navigation import NAV
from apps.channels.selectors import widget_channel_choices
from apps.core.navigation import register_nav
from apps.leads.widget_channels import register_channel_choices


def connect() -> None:
    register_nav(*NAV)
    register_channel_choices(widget_channel_choices)
