from django.apps import AppConfig

from apps.billing.lead_counter import lead_counter_register
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads.navigation import NAV
from apps.leads.schedules import SCHEDULES


class LeadsConfig(AppConfig):
    name = "apps.leads"
    label = "leads"

    def ready(self) -> None:
        from apps.leads.selectors import leads_created_between  # needs the models

        lead_counter_register(leads_created_between)  # billing's usage of unlimited plans
        register_nav(*NAV)
        register_schedules(*SCHEDULES)
        from apps.leads import personal_data  # the models: once the registry is ready

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
