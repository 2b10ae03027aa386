"""What integrations registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from django.core import checks

from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.core.schedules import register_schedules
from apps.enrichment.events import EnrichmentRunFinished
from apps.integrations import personal_data
from apps.integrations import subscribers as on
from apps.integrations.checks import private_targets_off
from apps.integrations.crm import subscribers as crm
from apps.integrations.crm.flags import HAS_CONNECTION
from apps.integrations.crm.models import CrmConnection
from apps.integrations.flags import SUBSCRIBED_TYPES
from apps.integrations.models import WebhookEndpoint
from apps.integrations.navigation import NAV
from apps.integrations.schedules import SCHEDULES
from apps.leads.events import (
    LeadsCreated,
    LeadsMerged,
    LeadStatusChanged,
    LeadsUpdated,
    MeetingBooked,
)
from apps.messaging.events import MessageReceived


def connect() -> None:
    checks.register(private_targets_off, deploy=True)
    SUBSCRIBED_TYPES.invalidate_on_change(WebhookEndpoint)
    HAS_CONNECTION.invalidate_on_change(CrmConnection)

    subscribe(LeadsCreated, on.on_leads_created)
    subscribe(LeadsMerged, on.on_leads_merged)
    subscribe(LeadsUpdated, on.on_leads_updated)
    subscribe(LeadStatusChanged, on.on_lead_status_changed)
    subscribe(MessageReceived, on.on_message_received)
    subscribe(MeetingBooked, on.on_meeting_booked)
    subscribe(EnrichmentRunFinished, on.on_enrichment_finished)
    subscribe(LeadsCreated, crm.on_leads_created)
    subscribe(LeadStatusChanged, crm.on_lead_status_changed)
    register_schedules(*SCHEDULES)
    register_nav(*NAV)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
