"""The close task keeps the Celery name it had inside billing, so tasks queued before the
move (and any saved schedule naming it) still find it."""

from apps.payperlead.tasks import close_billing_period_task
from fastlead.celery import app

OLD_NAME = "apps.billing.payperlead.tasks.close_billing_period_task"


def test_close_task_keeps_its_name_from_before_the_move():
    assert close_billing_period_task.name == OLD_NAME


def test_the_worker_knows_the_close_task_by_that_name_on_the_billing_queue():
    assert app.tasks[OLD_NAME].queue == "billing"
