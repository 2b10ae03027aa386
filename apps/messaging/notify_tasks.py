"""Celery entry points of operator notifications (queued after the lead or message commits,
so a widget submission or a webhook never waits for an SMTP server)."""

from __future__ import annotations

from apps.leads.events import LeadsCreated
from apps.messaging import notifications
from apps.messaging.events import MessageReceived
from apps.tenants.flags import active_member_roles
from apps.tenants.tasking import tenant_task


@tenant_task(ignore_result=True)
def notify_new_leads_task(tenant, lead_ids: list[int], source: str) -> int:
    return notifications.new_leads_notify(tenant, lead_ids, source)


@tenant_task(ignore_result=True)
def notify_inbound_message_task(tenant, message_id: int) -> int:
    return notifications.inbound_message_notify(tenant, message_id)


def on_leads_created(event: LeadsCreated) -> None:
    if event.source in notifications.SILENT_SOURCES:
        return
    if not active_member_roles(event.tenant_id) & notifications.OPERATOR_ROLES:
        return  # nobody to tell (a cached fact of tenants: one cache read, no task)
    notify_new_leads_task.delay(event.tenant_id, list(event.lead_ids), event.source)


def on_message_received(event: MessageReceived) -> None:
    notify_inbound_message_task.delay(event.tenant_id, event.message_id)
