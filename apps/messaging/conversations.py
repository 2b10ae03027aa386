"""One conversation per lead: created on the first message either way."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.messaging.models import Conversation


def conversation_for(tenant, lead) -> Conversation:
    conversation = Conversation.objects.for_tenant(tenant).filter(lead=lead).first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(tenant=tenant, lead=lead)
    except IntegrityError:
        return Conversation.objects.for_tenant(tenant).get(lead=lead)


def conversations_for(tenant, leads) -> dict[int, Conversation]:
    """The conversations of many leads by lead id, the missing ones created (a few queries)."""
    by_id = {lead.pk: lead for lead in leads}
    scoped = Conversation.objects.for_tenant(tenant)
    found = {c.lead_id: c for c in scoped.filter(lead_id__in=by_id)}
    missing = [pk for pk in by_id if pk not in found]
    if missing:
        created = [Conversation(tenant=tenant, lead=by_id[pk]) for pk in missing]
        Conversation.objects.bulk_create(created, ignore_conflicts=True)  # a concurrent one wins
        found.update({c.lead_id: c for c in scoped.filter(lead_id__in=missing)})
    return found
