"""What the inbox pages hook into at start-up (called from apps/messaging/wiring.py): the
sidebar link with its badge, the conversation card on the lead page, operator notifications."""

from apps.core.events import subscribe
from apps.core.navigation import register_nav
from apps.leads.events import LeadsCreated
from apps.leads.panels import lead_panel_register
from apps.messaging.conversation_card import panel_context
from apps.messaging.events import MessageReceived
from apps.messaging.navigation import NAV
from apps.messaging.notify_tasks import on_leads_created, on_message_received


def connect_pages() -> None:
    register_nav(*NAV)
    lead_panel_register("messaging/_lead_conversation.html", panel_context, place="main")
    subscribe(LeadsCreated, on_leads_created)
    subscribe(MessageReceived, on_message_received)
