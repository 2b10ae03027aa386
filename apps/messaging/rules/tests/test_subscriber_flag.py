"""A lead's domain event becomes a rule event only for a tenant with an enabled rule; the
cached "has enabled rules" flag must see a rule switched on (or off) before the next lead."""

from unittest import mock

import pytest

from apps.messaging.rules import subscribers
from apps.messaging.rules.models import Rule
from apps.messaging.rules.tests.helpers import lead_make, sms_rule
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued():
    with mock.patch.object(subscribers.record_domain_events_task, "delay") as delay:
        yield delay


def _types(delay) -> list[str]:
    return [item["event_type"] for call in delay.call_args_list for item in call.args[1]]


def test_a_rule_switched_on_sees_the_next_lead(
    rules_tenant, queued, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given a tenant without rules, whose flag is cached by a first lead
    with tenant_scope(rules_tenant), django_capture_on_commit_callbacks(execute=True):
        lead_make(rules_tenant, phone="+79990000001")
    assert _types(queued) == []
    # and a second lead costs the subscriber no query (the flag is cached)
    with django_assert_num_queries(0):
        subscribers._queue(str(rules_tenant.pk), [{"event_type": "lead.created"}])
    # when a rule is switched on, the very next lead is recorded for the rules
    with tenant_scope(rules_tenant):
        sms_rule(rules_tenant)
    with tenant_scope(rules_tenant), django_capture_on_commit_callbacks(execute=True):
        lead_make(rules_tenant, phone="+79990000002")
    assert _types(queued) == ["lead.created"]


def test_a_rule_switched_off_stops_the_events(
    rules_tenant, queued, django_capture_on_commit_callbacks
):
    with tenant_scope(rules_tenant):
        sms_rule(rules_tenant)
    with tenant_scope(rules_tenant), django_capture_on_commit_callbacks(execute=True):
        lead_make(rules_tenant, phone="+79990000003")
    assert queued.call_count == 1
    with tenant_scope(rules_tenant):
        rule = Rule.objects.get(tenant=rules_tenant, code="NUDGE")
        rule.enabled = False
        rule.save()
    with tenant_scope(rules_tenant), django_capture_on_commit_callbacks(execute=True):
        lead_make(rules_tenant, phone="+79990000004")
    assert queued.call_count == 1
