"""Serializers of events in, decisions and the audit out."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.leads.models import Lead

MAX_BATCH = 1000
MAX_PROPERTIES_BYTES = 16_384
TYPE_HELP = "Any type name (types are data): letters, digits and . _ : -"


class EventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(
        max_length=200,
        help_text="Unique per company; a replay answers the first result and sends nothing.",
    )
    event_type = serializers.RegexField(r"^[A-Za-z0-9_.:\-]+$", max_length=100, help_text=TYPE_HELP)
    user_id = serializers.CharField(max_length=200, required=False, help_text="Your user id.")
    lead_id = serializers.IntegerField(required=False, min_value=1)
    occurred_at = serializers.DateTimeField()
    properties = serializers.DictField(required=False, default=dict)

    def validate_lead_id(self, value: int) -> Lead:
        lead = Lead.objects.filter(tenant=self.context["tenant"], pk=value).first()
        if lead is None:
            raise serializers.ValidationError(_("No such lead."))
        return lead

    def validate_properties(self, value: dict) -> dict:
        if len(json.dumps(value, default=str)) > MAX_PROPERTIES_BYTES:
            raise serializers.ValidationError(_("At most 16 KB of properties."))
        return value

    def validate(self, attrs: dict) -> dict:
        if ("user_id" in attrs) == ("lead_id" in attrs):
            raise serializers.ValidationError(
                {"user_id": [_("Give exactly one of user_id and lead_id.")]}
            )
        attrs["lead"] = attrs.pop("lead_id", None)
        return attrs


class EventBatchSerializer(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text="1 to 1,000 events, each as in the single form; each is answered on its own.",
    )


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule = serializers.CharField()
    rule_version = serializers.IntegerField()
    outcome = serializers.CharField(
        help_text="scheduled, queued, sent, failed, suppressed, not_matched"
    )
    reason_code = serializers.CharField()
    reason = serializers.DictField(child=serializers.CharField(), help_text="ru and en")
    message_id = serializers.IntegerField(allow_null=True)
    earlier_decision_id = serializers.IntegerField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class EventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    status = serializers.CharField(help_text="accepted, or replayed (the first result)")
    subject = serializers.CharField()
    lead_id = serializers.IntegerField(allow_null=True)
    decisions = DecisionSerializer(many=True)


class BatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.CharField(help_text="accepted, replayed or rejected")
    result = EventResultSerializer(required=False)
    errors = serializers.DictField(required=False)


class BatchSerializer(serializers.Serializer):
    results = BatchItemSerializer(many=True)
    summary = serializers.DictField(child=serializers.IntegerField())


class AuditEventSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    source = serializers.CharField()
    properties = serializers.DictField()
    decisions = DecisionSerializer(many=True)


class AuditSerializer(serializers.Serializer):
    subject = serializers.CharField()
    events = AuditEventSerializer(many=True)


class SentMessageSerializer(serializers.Serializer):
    decision_id = serializers.IntegerField()
    rule = serializers.CharField()
    event_id = serializers.CharField()
    subject = serializers.CharField()
    channel = serializers.CharField()
    outcome = serializers.CharField()
    message_id = serializers.IntegerField(allow_null=True)
    message_status = serializers.CharField(
        help_text="The outbox status: queued, sending, sent, delivered, read, failed, unknown "
        "(empty for alerts)"
    )
    created_at = serializers.DateTimeField()
