"""What booking registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.booking import personal_data
from apps.booking.navigation import NAV
from apps.booking.public_api import public_config_booking
from apps.core.navigation import register_nav
from apps.leads.widget_hooks import register_public_config_extra


def connect() -> None:
    register_nav(*NAV)
    register_public_config_extra(public_config_booking)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
