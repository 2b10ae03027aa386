"""Upsell API serializers: a ticket in (the generic JSON shape), cases out."""

from rest_framework import serializers

from apps.core.api import StrictFieldsMixin
from apps.upsell.models import CaseStatus, ChannelState, DraftSource


class StrictCharField(serializers.CharField):
    """A JSON string only: a number is refused, not turned into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RequesterSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    marketing_consent = serializers.BooleanField(required=False, default=False)


class TicketInSerializer(StrictFieldsMixin, serializers.Serializer):
    id = serializers.CharField(max_length=128, help_text="The helpdesk's ticket id.")
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    status = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=StrictCharField(max_length=60), required=False, default=list, max_length=30
    )
    created_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    closed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    requester = RequesterSerializer(required=False)


class TicketOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    source = serializers.CharField()
    classification_status = serializers.CharField()
    queued = serializers.BooleanField()


_STATES = "One of: " + ", ".join(ChannelState.values) + "."


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    score = serializers.DecimalField(max_digits=4, decimal_places=3)
    product = serializers.CharField()
    tier = serializers.CharField()
    rationale = serializers.CharField(source="classification.rationale")
    evidence_quotes = serializers.ListField(
        child=serializers.CharField(), source="classification.evidence_quotes"
    )
    offline = serializers.BooleanField(source="classification.offline")
    ticket_id = serializers.CharField(source="ticket.external_id")
    ticket_source = serializers.CharField(source="ticket.source")
    lead_id = serializers.IntegerField(allow_null=True)
    email_state = serializers.CharField(help_text=_STATES)
    email_detail = serializers.CharField()
    call_state = serializers.CharField(help_text=_STATES)
    call_detail = serializers.CharField()
    call_summary = serializers.CharField()
    decided_via = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    draft_source = serializers.ChoiceField(
        choices=DraftSource.choices, help_text="Who wrote the drafts: Claude, or the template."
    )
    won_amount = serializers.IntegerField(
        allow_null=True, help_text="Won amount in minor units (kopecks, cents), if given."
    )
    won_currency = serializers.CharField(help_text="ISO 4217 code of `won_amount`, or empty.")
    created_at = serializers.DateTimeField()


class CaseWonSerializer(StrictFieldsMixin, serializers.Serializer):
    amount = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None,
        help_text="What the customer bought for, in minor units (kopecks, cents). Optional.",
    )  # fmt: skip
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, allow_blank=True, default="",
        help_text="ISO 4217 code (e.g. RUB); required with `amount`.",
    )  # fmt: skip
