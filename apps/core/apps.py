from django.apps import AppConfig

from apps.core.wiring import connect_all


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        connect_all()  # every app's start-up registrations, core's first (apps/core/wiring.py)
