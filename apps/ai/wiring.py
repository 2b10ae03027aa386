"""What ai registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from django.core import checks

from apps.ai.checks import configured_models_are_priced


def connect() -> None:
    checks.register(configured_models_are_priced)  # the pricing check
