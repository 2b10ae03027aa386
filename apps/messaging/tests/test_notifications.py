"""Operators hear of new leads and inbound messages by e-mail; unassigned new leads notify
every operator or go round-robin (the tenant's setting); imports notify nobody."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.messaging import notifications, notify_tasks
from apps.messaging.tests.test_inbox_pages import inbound, make_channel, make_lead
from apps.tenants.models import LeadRouting, Membership
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.factories import MembershipFactory


@pytest.fixture
def team(tenant, admin_user, operator_user, analyst_user):
    second = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
    return [admin_user, operator_user, second]


def _ingest(tenant, count=1, source="widget", first=0):
    numbers = range(first, first + count)
    items = [{"name": f"Lead {i}", "email": f"lead{i}@example.com"} for i in numbers]
    outcome = ingest_leads(tenant=tenant, items=items, source=source)
    return [r.lead_id for r in outcome.results]


def test_a_new_unassigned_lead_emails_every_operator_not_analysts(
    tenant, team, analyst_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(tenant)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(user.email for user in team)
    assert analyst_user.email not in recipients
    assert "Lead 0" in mail.outbox[0].body
    assert f"/t/{tenant.slug}/leads/" in mail.outbox[0].body


def test_round_robin_assigns_new_leads_in_turn_and_emails_each_assignee(
    tenant, team, django_capture_on_commit_callbacks
):
    tenant.lead_routing = LeadRouting.ROUND_ROBIN
    tenant.save()
    with django_capture_on_commit_callbacks(execute=True):
        ids = _ingest(tenant, count=4)
    with tenant_scope(tenant):
        assignees = [Lead.objects.get(pk=i).assigned_to_id for i in sorted(ids)]
    order = sorted(user.pk for user in team)
    assert assignees == [order[0], order[1], order[2], order[0]]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(user.email for user in team)
    with django_capture_on_commit_callbacks(execute=True):
        (next_id,) = _ingest(tenant, count=1, first=10)
    with tenant_scope(tenant):
        assert Lead.objects.get(pk=next_id).assigned_to_id == order[1]  # the turn goes on


def test_an_import_notifies_nobody(tenant, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(tenant, count=3, source="import")
    assert mail.outbox == []


def known_lead(tenant):
    """A lead that has been around for a while (not created by the message)."""
    lead = make_lead(tenant)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=2))
    return lead


def test_an_inbound_message_emails_the_leads_operator_only(tenant, team, operator_user):
    with tenant_scope(tenant):
        lead = known_lead(tenant)
        Lead.objects.filter(pk=lead.pk).update(assigned_to=operator_user)
        message = inbound(tenant, lead, make_channel(tenant), "Когда доставка?")
        mail.outbox.clear()
        sent = notifications.inbound_message_notify(tenant, message.pk)
    assert sent == 1
    assert [m.to[0] for m in mail.outbox] == [operator_user.email]
    assert "Когда доставка?" in mail.outbox[0].body


def test_an_inbound_message_of_an_unassigned_lead_emails_every_operator(tenant, team):
    with tenant_scope(tenant):
        message = inbound(tenant, known_lead(tenant), make_channel(tenant))
        mail.outbox.clear()
        notifications.inbound_message_notify(tenant, message.pk)
    assert len(mail.outbox) == len(team)


def test_a_message_that_created_its_lead_is_announced_once_as_a_new_lead(tenant, team):
    with tenant_scope(tenant):
        message = inbound(tenant, make_lead(tenant), make_channel(tenant))
        mail.outbox.clear()
        assert notifications.inbound_message_notify(tenant, message.pk) == 0
    assert mail.outbox == []


def test_notification_logs_carry_no_personal_data(tenant, team, caplog):
    with tenant_scope(tenant):
        lead = make_lead(tenant, name="Секретное Имя", email="private@example.com")
        notifications.new_leads_notify(tenant, [lead.pk], "widget")
    assert "private@example.com" not in caplog.text
    assert "Секретное Имя" not in caplog.text


def test_a_company_without_operators_queues_nothing_until_one_joins(
    tenant, analyst_user, django_capture_on_commit_callbacks
):
    # given a company whose only member is an analyst (nobody works leads)
    task = notify_tasks.notify_new_leads_task
    with mock.patch.object(task, "delay", wraps=task.delay) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            _ingest(tenant)
        assert delay.call_count == 0 and mail.outbox == []  # not even a task
        # when an operator joins, the very next lead reaches them
        operator = MembershipFactory(tenant=tenant, role=Role.OPERATOR).user
        with django_capture_on_commit_callbacks(execute=True):
            _ingest(tenant, first=1)
        assert delay.call_count == 1
        assert [m.to[0] for m in mail.outbox] == [operator.email]
        # and once that operator is deactivated, nobody is left to tell again
        operator.is_active = False
        operator.save()
        with django_capture_on_commit_callbacks(execute=True):
            _ingest(tenant, first=2)
        assert delay.call_count == 1


def test_an_analyst_promoted_to_operator_hears_of_the_next_lead(
    tenant, analyst_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(tenant)
    membership = Membership.objects.for_tenant(tenant).get(user=analyst_user)
    membership.role = Role.OPERATOR
    membership.save()
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(tenant, first=1)
    assert [m.to[0] for m in mail.outbox] == [analyst_user.email]
