"""The platform's domain events become rule events (subscribed in apps/messaging/rules/wiring.py).

Each handler runs after the emitter's commit and only queues a task (an import of 10,000
leads must not wait for rules); a tenant without an enabled rule records nothing, and finds
that out from a cached flag (one cache read, no query).
Types: lead.created, lead.status_changed, meeting.booked, payment.failed, trial.ending,
quota.reached (properties.level 80 or 100). Billing events are about the company itself:
their subject is `company` (alerts to the team make sense; sends have no lead).
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from apps.billing.events import QuotaWarning, RenewalPaymentFailed, TrialEnding
from apps.core.events import subscribe
from apps.core.tenant_flags import TenantFlag
from apps.leads.events import LeadsCreated, LeadStatusChanged, MeetingBooked
from apps.messaging.rules.models import Rule
from apps.messaging.rules.tasks import record_domain_events_task
from apps.tenants.scoping import unscoped_scope

COMPANY = "company"


def _has_enabled_rules(tenant_id: str) -> bool:
    with unscoped_scope():
        return Rule.objects.filter(tenant_id=tenant_id, enabled=True).exists()


# "Has the tenant an enabled rule?", cached per tenant; every save or delete of a rule
# invalidates it (wired in register()), so a rule switched on sees the very next event.
HAS_ENABLED_RULES = TenantFlag("rules-enabled", _has_enabled_rules)


def _queue(tenant_id: str, items: list[dict]) -> None:
    if items and HAS_ENABLED_RULES.get(tenant_id):
        now = timezone.now().isoformat()
        for item in items:
            item.setdefault("occurred_at", now)
        record_domain_events_task.delay(tenant_id, items)


def on_leads_created(event: LeadsCreated) -> None:
    items = [
        {
            "event_id": f"lead.created:{lead_id}",
            "event_type": "lead.created",
            "lead_id": lead_id,
            "properties": {"source": event.source},
        }
        for lead_id in event.lead_ids
    ]
    _queue(event.tenant_id, items)


def on_lead_status_changed(event: LeadStatusChanged) -> None:
    key = uuid.uuid4().hex
    items = [
        {
            "event_id": f"lead.status_changed:{key}:{lead_id}",
            "event_type": "lead.status_changed",
            "lead_id": lead_id,
            "properties": {"status": event.status, "previous": previous},
        }
        for lead_id, previous in event.previous
    ]
    _queue(event.tenant_id, items)


def on_meeting_booked(event: MeetingBooked) -> None:
    item = {
        "event_id": f"meeting.booked:{event.booking_id}",
        "event_type": "meeting.booked",
        "lead_id": event.lead_id,
        "properties": {"booking_id": event.booking_id, "starts_at": event.starts_at},
    }
    _queue(event.tenant_id, [item])


def _company(event_id: str, event_type: str, properties: dict) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "subject": COMPANY,
        "properties": properties,
    }


def on_payment_failed(event: RenewalPaymentFailed) -> None:
    props = {"payment_id": event.payment_id, "final": event.final}
    item = _company(f"payment.failed:{event.payment_id}", "payment.failed", props)
    _queue(event.tenant_id, [item])


def on_trial_ending(event: TrialEnding) -> None:
    key = f"trial.ending:{event.days}:{timezone.now().date().isoformat()}"
    _queue(event.tenant_id, [_company(key, "trial.ending", {"days": event.days})])


def on_quota_warning(event: QuotaWarning) -> None:
    props = {"level": event.level, "used": event.used, "limit": event.limit}
    item = _company(f"quota.reached:{event.level}:{uuid.uuid4().hex}", "quota.reached", props)
    _queue(event.tenant_id, [item])


def register() -> None:
    HAS_ENABLED_RULES.invalidate_on_change(Rule)
    subscribe(LeadsCreated, on_leads_created)
    subscribe(LeadStatusChanged, on_lead_status_changed)
    subscribe(MeetingBooked, on_meeting_booked)
    subscribe(RenewalPaymentFailed, on_payment_failed)
    subscribe(TrialEnding, on_trial_ending)
    subscribe(QuotaWarning, on_quota_warning)
