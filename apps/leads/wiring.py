"""What leads registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.billing.lead_counter import lead_counter_register
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads import personal_data
from apps.leads.navigation import NAV
from apps.leads.schedules import SCHEDULES
from apps.leads.selectors import leads_created_between


def connect() -> None:
    lead_counter_register(leads_created_between)  # billing's usage of unlimited plans
    register_nav(*NAV)
    register_schedules(*SCHEDULES)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
