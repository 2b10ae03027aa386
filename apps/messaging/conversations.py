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
