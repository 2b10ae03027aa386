"""The event types an endpoint may subscribe to."""

from django.utils.translation import gettext_lazy as _

LEAD_CREATED = "lead.created"
LEAD_UPDATED = "lead.updated"
LEAD_STATUS_CHANGED = "lead.status_changed"
LEAD_MERGED = "lead.merged"
MESSAGE_RECEIVED = "message.received"
MEETING_BOOKED = "meeting.booked"
ENRICHMENT_FINISHED = "enrichment.finished"
TEST = "webhook.test"  # the "send test event" button: only ever to the one endpoint

# "upsell.case_approved" comes with the upsell app (it does not exist yet).
EVENT_TYPES = {
    LEAD_CREATED: _("Lead created"),
    LEAD_UPDATED: _("Lead updated"),
    LEAD_STATUS_CHANGED: _("Lead status changed"),
    LEAD_MERGED: _("Lead merged (a repeated submission)"),
    MESSAGE_RECEIVED: _("Message received"),
    MEETING_BOOKED: _("Meeting booked"),
    ENRICHMENT_FINISHED: _("Enrichment finished"),
}


def event_type_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in EVENT_TYPES.items()]
