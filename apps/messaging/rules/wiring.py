"""What the follow-up rules register at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.leads.panels import lead_panel_register
from apps.messaging.rules import subscribers
from apps.messaging.rules.navigation import NAV
from apps.messaging.rules.schedules import SCHEDULES
from apps.messaging.rules.views import lead_audit_context


def connect() -> None:
    subscribers.register()
    lead_panel_register("messaging_rules/_lead_audit.html", lead_audit_context)
    register_schedules(*SCHEDULES)
    register_nav(*NAV)
