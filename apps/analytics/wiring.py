"""What analytics registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.analytics.metrics import register_collector
from apps.analytics.navigation import NAV
from apps.analytics.schedules import SCHEDULES
from apps.analytics.tasks import EVENT_HANDLERS
from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules


def connect() -> None:
    register_collector()

    for event_type, handler in EVENT_HANDLERS:
        subscribe(event_type, handler)
    register_nav(*NAV)
    register_schedules(*SCHEDULES)
