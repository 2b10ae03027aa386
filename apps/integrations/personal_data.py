"""Where the webhooks keep a person's data (apps/core/personal_data.py): the bodies of events
about a lead and the receivers' answers logged for them, registered from
apps/integrations/wiring.py."""

from __future__ import annotations

from apps.core.personal_data import (
    EMPTY_JSON,
    ERASED_JSON,
    REDACT,
    Person,
    PersonalData,
    register_personal_data,
)
from apps.integrations.models import CrmSyncJob, WebhookAttempt, WebhookEvent


def _events(person: Person):
    if person.lead_id is None:
        return WebhookEvent.objects.unscoped().none()
    rows = WebhookEvent.objects.unscoped().filter(tenant_id=person.tenant_id)
    return rows.filter(object_key=f"lead:{person.lead_id}")


def _attempts(person: Person):
    if person.lead_id is None:
        return WebhookAttempt.objects.unscoped().none()
    rows = WebhookAttempt.objects.unscoped().filter(tenant_id=person.tenant_id)
    return rows.filter(delivery__event__object_key=f"lead:{person.lead_id}")


def _crm_jobs(person: Person):
    """The CRM sync log of the lead's deal: the CRM's answers may quote the contact."""
    if person.lead_id is None:
        return CrmSyncJob.objects.unscoped().none()
    rows = CrmSyncJob.objects.unscoped().filter(tenant_id=person.tenant_id)
    return rows.filter(link__lead_id=person.lead_id)


ENTRIES = (
    PersonalData(
        "integrations.webhookevent",
        model=WebhookEvent,
        find=_events,
        label="Webhook events",
        fields={"payload": ERASED_JSON},
        context_fields=("id", "event_id", "type", "created_at"),
    ),
    PersonalData(
        "integrations.webhookattempt",
        model=WebhookAttempt,
        find=_attempts,
        label="Webhook delivery log",
        fields={"response_body": REDACT, "error": REDACT},
        context_fields=("id", "created_at"),
    ),
    PersonalData(
        "integrations.crmsyncjob",
        model=CrmSyncJob,
        find=_crm_jobs,
        label="CRM sync log",
        fields={"result": EMPTY_JSON, "last_error": EMPTY_JSON},
        context_fields=("id", "kind", "status", "created_at"),
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
