"""What privacy registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads.events import LeadsCreated, LeadsMerged
from apps.privacy import contributions, flags
from apps.privacy.navigation import NAV
from apps.privacy.schedules import SCHEDULES


def connect() -> None:
    # In the transaction that creates the leads: a lead and its consent are one write.
    subscribe(LeadsCreated, contributions.on_leads_created, in_transaction=True)
    flags.invalidate_on_changes()
    subscribe(LeadsMerged, contributions.on_leads_merged)
    contributions.register()
    register_schedules(*SCHEDULES)
    register_nav(*NAV)
