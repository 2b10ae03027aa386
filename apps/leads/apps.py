from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads.navigation import NAV
from apps.leads.schedules import SCHEDULES


class LeadsConfig(AppConfig):
    name = "apps.leads"
    label = "leads"

    def ready(self) -> None:
        register_nav(*NAV)
        register_schedules(*SCHEDULES)
