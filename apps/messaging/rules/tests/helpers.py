from datetime import UTC, datetime

from apps.leads.ingestion.service import ingest_leads
from apps.leads.models import Lead
from apps.messaging.rules.authoring import rule_save, template_save

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def lead_make(tenant, phone="+79990001122", email="", consent=False) -> Lead:
    item = {"phone": phone, "email": email, "name": "Test", "consent": {"marketing": consent}}
    outcome = ingest_leads(tenant=tenant, items=[item], source="api")
    return Lead.objects.get(pk=outcome.results[0].lead_id)


def sms_rule(tenant, code="NUDGE", **overrides):
    template = template_save(
        tenant=tenant, key="nudge", name="Nudge", body_ru="Мы скоро позвоним!", body_en="Soon!"
    )
    data = {
        "name": "Nudge",
        "enabled": True,
        "trigger": "lead.created",
        "conditions": {"field": "lead.first_contact_at", "op": "exists", "value": False},
        "action": "send",
        "template": template,
        "channel": "sms",
        "once_per": "ever",
        **overrides,
    }
    return rule_save(tenant=tenant, code=code, **data)
