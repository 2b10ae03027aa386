from django.apps import AppConfig

from apps.analytics.navigation import NAV
from apps.analytics.schedules import SCHEDULES
from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"

    def ready(self) -> None:
        from apps.analytics.metrics import register_collector  # needs the models
        from apps.analytics.tasks import EVENT_HANDLERS

        register_collector()

        for event_type, handler in EVENT_HANDLERS:
            subscribe(event_type, handler)
        register_nav(*NAV)
        register_schedules(*SCHEDULES)
