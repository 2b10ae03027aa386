"""Two workers evaluating events of one subject at once never both pass a "once" limit."""

import threading
from unittest import mock

import pytest
from django.db import connection

from apps.billing.tests.helpers import subscribe
from apps.messaging.models import Message
from apps.messaging.rules import engine, services
from apps.messaging.rules.models import Decision
from apps.messaging.rules.tests.conftest import connect
from apps.messaging.rules.tests.helpers import AT, lead_make, sms_rule
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_events_of_one_subject_pass_a_once_limit_once():
    # given: a "once ever" rule and a lead
    tenant = TenantFactory()
    subscribe(tenant, "start")
    with tenant_scope(tenant):
        connect(tenant, "sms", "smsc")
        lead = lead_make(tenant)  # before the rule: its own lead.created decides nothing
        sms_rule(tenant)
    barrier = threading.Barrier(2, timeout=30)
    real_quiet_end = engine.quiet_end
    results, errors = [], []

    def meet_then_go(*args, **kwargs):
        barrier.wait()  # both workers passed the conditions and limits, neither inserted yet
        return real_quiet_end(*args, **kwargs)

    def worker(n):
        try:
            with tenant_scope(tenant):
                result = services.event_record(
                    tenant=tenant,
                    event_id=f"race-{n}",
                    event_type="lead.created",
                    occurred_at=AT,
                    lead=lead,
                )
                decision = result.decisions[0]
                results.append((decision.outcome, decision.reason, decision.details))
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    # when: two workers evaluate at once
    with (
        mock.patch.object(engine, "quiet_end", meet_then_go),
        mock.patch("apps.messaging.outbox.send_message_task"),
    ):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # then: one queued, one suppressed by it, one message
    assert errors == []
    assert sorted(r[0] for r in results) == ["queued", "suppressed"], results
    with tenant_scope(tenant):
        loser = Decision.objects.get(outcome="suppressed")
        winner = Decision.objects.get(outcome="queued")
        assert loser.reason == "limit_once" and loser.earlier_id == winner.pk
        assert Message.objects.count() == 1
