"""Handlers of the events of the apps below (subscribed in apps/integrations/wiring.py): each
turns an event into webhook events with the object as the API shows it, after the emitter's
transaction commits. A tenant without an endpoint for the type costs one cache read (the
cached `SUBSCRIBED_TYPES`); one without the tool, that and one query."""

from __future__ import annotations

from apps.booking.models import Booking
from apps.booking.serializers import BookingSerializer
from apps.enrichment.selectors import enrichment_runs
from apps.enrichment.serializers import run_data
from apps.features.guards import feature_enabled
from apps.integrations import event_types as types
from apps.integrations.flags import subscribed_types
from apps.integrations.outbox import TOOL, Occurrence, subscribed_endpoints, webhook_events_record
from apps.leads.models import Lead
from apps.leads.selectors import LIST_RELATED
from apps.leads.serializers import lead_data
from apps.messaging.models import Message
from apps.messaging.serializers import MessageSerializer
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope


def _record(tenant_id: str, event_type: str, build) -> None:
    """`build(tenant)` gives the occurrences; it runs only when an endpoint wants them."""
    if event_type not in subscribed_types(tenant_id):
        return
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return
    with tenant_scope(tenant):
        if not feature_enabled(tenant, TOOL):
            return
        endpoints = subscribed_endpoints(tenant, event_type)
        if endpoints:
            webhook_events_record(tenant, event_type, build(tenant), endpoints=endpoints)


def _leads(tenant, lead_ids, **extra) -> list[Occurrence]:
    leads = (
        Lead.objects.for_tenant(tenant)
        .filter(pk__in=list(lead_ids))
        .select_related(*LIST_RELATED)
        .order_by("pk")
    )
    return [
        Occurrence(
            object_key=f"lead:{lead.pk}",
            data={"object": lead_data(lead), **{k: v(lead) for k, v in extra.items()}},
        )
        for lead in leads
    ]


def on_leads_created(event) -> None:
    _record(event.tenant_id, types.LEAD_CREATED, lambda t: _leads(t, event.lead_ids))


def on_leads_merged(event) -> None:
    _record(event.tenant_id, types.LEAD_MERGED, lambda t: _leads(t, event.lead_ids))


def on_leads_updated(event) -> None:
    fields = list(event.fields)
    _record(
        event.tenant_id,
        types.LEAD_UPDATED,
        lambda t: _leads(t, event.lead_ids, changed_fields=lambda _lead: fields),
    )


def on_lead_status_changed(event) -> None:
    previous = dict(event.previous)
    _record(
        event.tenant_id,
        types.LEAD_STATUS_CHANGED,
        lambda t: _leads(t, previous, previous_status=lambda lead: previous.get(lead.pk, "")),
    )


def on_message_received(event) -> None:
    def build(tenant):
        message = Message.objects.for_tenant(tenant).filter(pk=event.message_id).first()
        if message is None:
            return []
        return [
            Occurrence(
                object_key=f"lead:{message.lead_id}",
                data={"object": MessageSerializer(message).data},
            )
        ]

    _record(event.tenant_id, types.MESSAGE_RECEIVED, build)


def on_meeting_booked(event) -> None:
    def build(tenant):
        booking = (
            Booking.objects.for_tenant(tenant)
            .filter(pk=event.booking_id)
            .select_related("lead")
            .first()
        )
        if booking is None:
            return []
        return [
            Occurrence(
                object_key=f"lead:{booking.lead_id}",
                data={"object": BookingSerializer(booking).data},
            )
        ]

    _record(event.tenant_id, types.MEETING_BOOKED, build)


def on_enrichment_finished(event) -> None:
    def build(tenant):
        run = enrichment_runs(tenant).filter(pk=event.run_id).first()
        if run is None:
            return []
        return [Occurrence(object_key=f"enrichment_run:{run.pk}", data={"object": run_data(run)})]

    _record(event.tenant_id, types.ENRICHMENT_FINISHED, build)
