"""Webhook serializers: the secret is in the answer of the create call only."""

from rest_framework import serializers

from apps.core.api import StrictFieldsMixin
from apps.integrations.event_types import event_type_choices
from apps.integrations.models import DeliveryStatus

_EVENTS_HELP = "Event types to send: " + ", ".join(k for k, _label in event_type_choices()) + "."


class EndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField(), help_text=_EVENTS_HELP)
    enabled = serializers.BooleanField()
    disabled_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when Fast Lead disabled it after 24 h of failures."
    )
    disabled_reason = serializers.CharField()
    secret = serializers.SerializerMethodField(
        help_text="The signing secret, masked (`••••1234`): it is shown whole only once."
    )
    created_at = serializers.DateTimeField()

    def get_secret(self, endpoint) -> str:
        return endpoint.masked_secret()


class EndpointCreatedSerializer(EndpointSerializer):
    signing_secret = serializers.CharField(
        help_text="The whole signing secret: shown this once, keep it with the receiver."
    )


class EndpointCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="https:// only; public addresses only.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=event_type_choices()),
        min_length=1,
        max_length=len(event_type_choices()),
        help_text=_EVENTS_HELP,
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class EndpointUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=event_type_choices()),
        min_length=1,
        max_length=len(event_type_choices()),
        required=False,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    url = serializers.CharField()
    request_headers = serializers.DictField(child=serializers.CharField())
    status_code = serializers.IntegerField(allow_null=True)
    response_body = serializers.CharField(help_text="The first 1,000 characters.")
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint_id = serializers.IntegerField()
    event_id = serializers.CharField(source="event.event_id")
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    succeeded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.JSONField(source="event.payload", help_text="The body that is sent.")
    log = AttemptSerializer(many=True, source="attempt_log")
