"""The tasks moved from apps.leads.enrichment keep their Celery names, so messages queued before
the move and the beat's saved schedule (recovery of stale runs) still reach them."""

import pytest

from apps.enrichment import tasks
from fastlead.celery import app

OLD = "apps.leads.enrichment.tasks."


@pytest.mark.parametrize(
    "task",
    [
        tasks.enrich_lead_task,
        tasks.enrichment_fan_out_task,
        tasks.enrichment_settle_task,
        tasks.recover_stale_enrichment_runs_task,
    ],
)
def test_moved_tasks_answer_to_their_old_names(task):
    name = OLD + task.__name__
    assert task.name == name
    registered = app.tasks[name]  # what a worker runs for a message of the old name
    assert registered.run.__module__ == "apps.enrichment.tasks"
    assert registered.run.__name__ == task.__name__


def test_lead_tasks_go_to_the_ai_queue_and_the_settle_to_billing():
    assert tasks.enrich_lead_task.queue == "ai"
    assert tasks.enrichment_settle_task.queue == "billing"
