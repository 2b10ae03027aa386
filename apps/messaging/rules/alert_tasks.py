"""An alert's e-mail, handed to a worker after the decision's commit.

The e-mail goes through core's `send_mail_task` (retried with backoff while the mail server is
down). If every attempt fails, Celery's error callback marks the decision failed; so does a
broker that cannot take the task. The audit never says the team was alerted when it was not.
"""

from __future__ import annotations

import structlog
from kombu.exceptions import OperationalError

from apps.core.tasks import send_mail_task
from apps.messaging.rules.models import Decision, Outcome
from apps.tenants.tasking import tenant_task

UNDELIVERED = "alert_undelivered"

logger = structlog.get_logger(__name__)


def alert_hand_over(decision, subject: str, body: str, recipients: list[str]) -> None:
    """Queue the alert's e-mail (call after commit: the decision has its id by then)."""
    on_failure = None
    if decision.pk is not None:
        on_failure = alert_undelivered_task.si(str(decision.tenant_id), decision.pk)
    try:
        send_mail_task.apply_async((subject, body, recipients), link_error=on_failure)
    except OperationalError:  # the broker stayed unreachable through kombu's own retries
        logger.exception("alert_not_queued", decision_id=decision.pk)
        if on_failure is not None:
            on_failure()  # in this process: nothing else will ever send it


@tenant_task(ignore_result=True)
def alert_undelivered_task(tenant, decision_id: int) -> int:
    """Every attempt to send the alert failed: the decision says so, and its "once" limit is
    not used up."""
    return (
        Decision.objects.for_tenant(tenant)
        .filter(pk=decision_id, outcome=Outcome.SENT)
        .update(outcome=Outcome.FAILED, reason=UNDELIVERED, dedup_key=None)
    )
