"""What the web app registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.core.navigation import register_nav
from apps.web import onboarding
from apps.web.navigation import NAV


def connect() -> None:
    register_nav(*NAV)
    onboarding.register()  # new companies start the onboarding wizard
