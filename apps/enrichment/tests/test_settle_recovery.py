"""A finished run whose settle never ran (its message lost, its worker killed before or inside
it) is settled by the recovery beat once the claim timeout has passed (issue 12, found by the
fault-injection run in tests/faults/)."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from apps.enrichment.services import settle
from apps.enrichment.tasks import recover_stale_enrichment_runs_task
from apps.enrichment.tests.fixtures import *  # noqa: F403
from apps.enrichment.tests.fixtures import CREDIT, UNIT, balance, charges, run_of, start
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db


def _beat(django_capture_on_commit_callbacks, at):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        return recover_stale_enrichment_runs_task.apply().get()


def test_a_run_whose_settle_message_was_lost_is_settled_by_the_beat(
    paying, fake_ai, two_leads, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = start(paying, lead_ids=two_leads)
    Lead.objects.for_tenant(paying).filter(pk=two_leads[1]).delete()
    # the worker that finishes the run dies before the settle message is sent
    with (
        mock.patch.object(settle, "enrichment_run_settle_later") as lost,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for callback in queued:
            callback()
    assert lost.called and run_of(paying, run).status == "done"
    assert balance(paying) == CREDIT - 2 * UNIT  # the deleted lead is still paid for

    timeout = timedelta(seconds=settings.ENRICHMENT_CLAIM_TIMEOUT)
    assert _beat(django_capture_on_commit_callbacks, timezone.now())["settled"] == 0  # too soon
    later = timezone.now() + timeout + timedelta(minutes=1)
    assert _beat(django_capture_on_commit_callbacks, later)["settled"] == 1

    [charge] = charges(paying)
    assert (charge.refunded_quantity, charge.refunded_amount) == (1, UNIT)
    assert balance(paying) == CREDIT - UNIT
    # settled now: the next beat leaves it alone
    assert _beat(django_capture_on_commit_callbacks, later + timeout)["settled"] == 0
