"""What HyroPage registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from django.core import checks

from apps.core.navigation import register_nav
from apps.hyropage import contributions, personal_data
from apps.hyropage.checks import hyropage_models_configured
from apps.hyropage.navigation import NAV


def connect() -> None:
    checks.register(hyropage_models_configured)  # the configured models and their limits
    contributions.register()
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
    register_nav(*NAV)
