"""Per-company retention: the beat pass deletes what is older than each setting, at a fixed
time, and keeps everything when a setting is empty or for another company."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.enrichment.models import LeadEnrichment
from apps.messaging.models import Conversation, Message
from apps.privacy.services.retention import retention_apply, retention_update
from apps.privacy.tests.seed import WHEN, make_canary, seed_lead
from apps.tenants.models import AuditAction, AuditLogEntry
from apps.upsell.models import Ticket, UpsellCase

pytestmark = pytest.mark.django_db


def test_conversations_and_raw_ai_responses_go_after_their_days(tenant, admin_user, other_tenant):
    # given two companies with the same old data, one keeping conversations 30 days
    lead = seed_lead(tenant, make_canary())
    seed_lead(other_tenant, make_canary(), n=1)
    retention_update(tenant=tenant, actor=admin_user, conversations_days=30, ai_raw_days=60)

    # 29 days after: nothing is old enough
    assert retention_apply(now=WHEN + timedelta(days=29)) == {}

    # 31 days after: the conversation goes, the raw AI response stays (60 days)
    done = retention_apply(now=WHEN + timedelta(days=31))
    assert done == {"messaging.message:conversations": 1, "messaging.conversation:conversations": 1}
    assert not Conversation.objects.unscoped().filter(tenant=tenant).exists()
    assert Conversation.objects.unscoped().filter(tenant=other_tenant).count() == 1
    assert Message.objects.unscoped().filter(tenant=other_tenant).count() == 1
    enrichment = LeadEnrichment.objects.unscoped().get(lead=lead)
    assert enrichment.raw_response != {}

    # 61 days after: the raw response is cleared, the answer stays
    retention_apply(now=WHEN + timedelta(days=61))
    enrichment.refresh_from_db()
    assert enrichment.raw_response == {} and enrichment.fields != {}
    assert retention_apply(now=WHEN + timedelta(days=61)) == {}  # idempotent


def test_changing_retention_is_audited(tenant, admin_user):
    retention_update(tenant=tenant, actor=admin_user, tickets_days=90)

    entry = AuditLogEntry.objects.for_tenant(tenant).get(action=AuditAction.RETENTION_CHANGED)
    assert entry.before["tickets_days"] is None and entry.after["tickets_days"] == 90


def test_support_tickets_go_with_their_cases_after_their_days(tenant, admin_user, other_tenant):
    seed_lead(tenant, make_canary())
    seed_lead(other_tenant, make_canary(), n=1)
    retention_update(tenant=tenant, actor=admin_user, tickets_days=30)

    assert "upsell.ticket:tickets" not in retention_apply(now=WHEN + timedelta(days=29))
    done = retention_apply(now=WHEN + timedelta(days=31))

    assert done["upsell.ticket:tickets"] == 1
    assert not Ticket.objects.unscoped().filter(tenant=tenant).exists()
    assert not UpsellCase.objects.unscoped().filter(tenant=tenant).exists()
    assert Ticket.objects.unscoped().filter(tenant=other_tenant).count() == 1
