from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads.panels import lead_panel_register
from apps.messaging.rules.navigation import NAV
from apps.messaging.rules.schedules import SCHEDULES


class RulesConfig(AppConfig):
    """Events, follow-up rules, decisions and the "why was this sent" audit (issue 16). A
    nested app of messaging: its own models and migrations next to the outbox."""

    name = "apps.messaging.rules"
    label = "messaging_rules"
    verbose_name = "Follow-up rules"

    def ready(self) -> None:
        # Both need the models, loaded only now.
        from apps.messaging.rules import subscribers
        from apps.messaging.rules.views import lead_audit_context

        subscribers.register()
        lead_panel_register("messaging_rules/_lead_audit.html", lead_audit_context)
        register_schedules(*SCHEDULES)
        register_nav(*NAV)
