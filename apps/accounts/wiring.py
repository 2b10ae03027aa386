"""What accounts registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.accounts import (
    personal_data,
    signals,  # noqa: F401  (its @receiver handlers connect on import)
)


def connect() -> None:
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
