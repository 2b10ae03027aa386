"""Channel serializers: credentials are write-only, the answer shows them masked only."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.channels.models import ChannelKind, ChannelStatus, Provider

_FIELDS_HELP = (
    "Per provider — smtp: username, password (settings: host, port, from_email); sendgrid: "
    "api_key (settings: from_email, from_name and event_webhook_key optional); twilio: "
    "account_sid, auth_token (settings: from_number); smsc: login, password (settings: sender, "
    "optional); telegram: bot_token; whatsapp_cloud: access_token, app_secret (settings: "
    "phone_number_id; waba_id optional, to read the approved message templates)."
)


class MessageTemplateSerializer(serializers.Serializer):
    name = serializers.CharField()
    language = serializers.CharField(help_text="The template's language code, e.g. `ru`.")
    body = serializers.CharField(help_text="The body text with its {{1}}… placeholders.")
    params = serializers.ListField(
        child=serializers.CharField(), help_text="The body's placeholders, in order."
    )
    named = serializers.BooleanField(help_text="The placeholders are names, not numbers.")


class ChannelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    provider = serializers.ChoiceField(choices=Provider.choices)
    name = serializers.CharField()
    settings = serializers.DictField(child=serializers.CharField())
    credentials = serializers.SerializerMethodField(
        help_text="Each credential masked (`••••1234`); the values are never returned."
    )
    status = serializers.ChoiceField(choices=ChannelStatus.choices)
    last_tested_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(help_text="The provider's own message of the last test.")
    enabled = serializers.BooleanField()
    templates = MessageTemplateSerializer(
        many=True,
        help_text="WhatsApp: the approved message templates read at the last test (they need "
        "the setting `waba_id`); the only messages allowed 24 hours after the person's last.",
    )
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_credentials(self, channel) -> dict:
        return channel.masked_credentials()


class ChannelCreateSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=Provider.choices)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        write_only=True,
        help_text=_FIELDS_HELP,
    )
    settings = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500), required=False, default=dict
    )


class ChannelUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    enabled = serializers.BooleanField(required=False)
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        write_only=True,
        required=False,
        help_text="Only the fields to replace; the others keep their values.",
    )
    settings = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500), required=False
    )
