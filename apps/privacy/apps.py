from django.apps import AppConfig

from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads.events import LeadsCreated, LeadsMerged
from apps.privacy.navigation import NAV
from apps.privacy.schedules import SCHEDULES


class PrivacyConfig(AppConfig):
    name = "apps.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # The registrations read the models: loaded once the app registry is ready.
        from apps.privacy import contributions, flags

        # In the transaction that creates the leads: a lead and its consent are one write.
        subscribe(LeadsCreated, contributions.on_leads_created, in_transaction=True)
        flags.invalidate_on_changes()
        subscribe(LeadsMerged, contributions.on_leads_merged)
        contributions.register()
        register_schedules(*SCHEDULES)
        register_nav(*NAV)
