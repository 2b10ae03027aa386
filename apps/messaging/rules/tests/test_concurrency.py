"""Two workers evaluating events of one subject at once never both pass a "once" limit."""

import threading
from datetime import timedelta
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


def _waiting_on_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_events_of_one_subject_pass_an_n_per_window_limit_once():
    """PostgreSQL only: the advisory lock per (company, rule, subject) is what is proven;
    SQLite has one writer at a time, so there is no race to prove there."""
    # given: "at most 1 per 2 hours", a lead; worker A stops right after reading the window
    tenant = TenantFactory()
    subscribe(tenant, "start")
    with tenant_scope(tenant):
        connect(tenant, "sms", "smsc")
        lead = lead_make(tenant)
        sms_rule(tenant, once_per="", max_count=1, window_hours=2)
    read_window = engine.Snapshot._load_window
    a_has_read, b_has_read, go = threading.Event(), threading.Event(), threading.Event()
    results, errors = [], []

    def load_then_hold(snapshot, pairs):
        read_window(snapshot, pairs)
        if threading.current_thread().name == "A":
            a_has_read.set()
            go.wait()
        else:
            b_has_read.set()

    def worker(name, minute):
        try:
            with tenant_scope(tenant):
                result = services.event_record(
                    tenant=tenant,
                    event_id=f"race-{name}",
                    event_type="lead.created",
                    occurred_at=AT + timedelta(minutes=minute),
                    lead=lead,
                )
                decision = result.decisions[0]
                results.append((decision.outcome, decision.reason))
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    with (
        mock.patch.object(engine.Snapshot, "_load_window", load_then_hold),
        mock.patch("apps.messaging.outbox.send_message_task"),
    ):
        first = threading.Thread(target=worker, args=("A", 0), name="A")
        first.start()
        assert a_has_read.wait(timeout=60)
        # when: B evaluates while A holds its transaction open
        second = threading.Thread(target=worker, args=("B", 1), name="B")
        second.start()
        # wait for the state: B is blocked on the lock, or (without it) B has read the window
        for _poll in range(6000):
            if b_has_read.is_set() or _waiting_on_advisory_lock():
                break
            b_has_read.wait(timeout=0.01)
        go.set()
        first.join()
        second.join()

    # then: A queued; B saw A's send and was suppressed by the window; one message
    assert errors == []
    assert sorted(results) == [("queued", ""), ("suppressed", "limit_window")], results
    with tenant_scope(tenant):
        assert Message.objects.count() == 1
