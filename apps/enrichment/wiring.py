"""What AI enrichment registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.core.schedules import register_schedules
from apps.enrichment import (
    contributions,
    personal_data,
    tasks,  # noqa: F401  (the services queue the tasks by name: registered in every process)
)
from apps.enrichment.schedules import SCHEDULES


def connect() -> None:
    contributions.register()  # leads' lead-page panels, ai's offline heuristics
    register_schedules(*SCHEDULES)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
