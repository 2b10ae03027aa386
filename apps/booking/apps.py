from django.apps import AppConfig

from apps.booking.navigation import NAV
from apps.core.navigation import register_nav
from apps.leads.widget_hooks import register_public_config_extra


class BookingConfig(AppConfig):
    name = "apps.booking"
    label = "booking"
    verbose_name = "Booking"

    def ready(self) -> None:
        # The public API imports models: only once the app registry is ready.
        from apps.booking.public_api import public_config_booking

        register_nav(*NAV)
        register_public_config_extra(public_config_booking)
        from apps.booking import personal_data  # the models: once the registry is ready

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
