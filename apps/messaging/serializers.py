"""Conversation and message serializers (the API; the pages render the models directly)."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core.api import StrictFieldsMixin, id_field
from apps.messaging.models import AddressKind, ConversationStatus, Direction, MessageStatus


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    channel_id = serializers.IntegerField(allow_null=True)
    channel_kind = serializers.ChoiceField(choices=AddressKind.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    status = serializers.ChoiceField(
        choices=MessageStatus.choices,
        help_text="`unknown`: the provider may or may not have it (never re-sent by itself; "
        "resend if it did not arrive).",
    )
    error = serializers.CharField(help_text="The provider's reason of a failure.")
    author_id = serializers.IntegerField(allow_null=True)
    source = serializers.CharField(help_text="operator, rule, provider (inbound)…")
    in_reply_to_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)
    resendable = serializers.BooleanField()


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField()
    lead_name = serializers.CharField(source="lead.name")
    assignee_id = serializers.IntegerField(source="lead.assigned_to_id", allow_null=True)
    channel_id = serializers.IntegerField(allow_null=True)
    channel_kind = serializers.CharField(source="channel.kind", allow_null=True, default=None)
    status = serializers.ChoiceField(choices=ConversationStatus.choices)
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_message_preview = serializers.CharField()
    unread_count = serializers.IntegerField()


class TemplateChoiceSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=512)
    language = serializers.CharField(max_length=15, help_text="Its language code, e.g. `ru`.")
    params = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        max_length=20,
        required=False,
        default=list,
        help_text="The values of the body's placeholders, in order.",
    )


class ReplySerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(
        max_length=100_000,
        trim_whitespace=True,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required unless `template` is given.",
    )
    subject = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    channel_id = id_field(
        required=False,
        allow_null=True,
        help_text="Default: the channel the lead last wrote from, else the first connected "
        "channel with an address for the lead.",
    )
    in_reply_to_id = id_field(
        required=False,
        allow_null=True,
        help_text="The lead's own message this answers: the only way to reach an address that "
        "unsubscribed.",
    )
    idempotency_key = serializers.CharField(
        max_length=150,
        required=False,
        default="",
        allow_blank=True,
        help_text="The same key again returns the same message (a double submit sends once).",
    )
    template = TemplateChoiceSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="WhatsApp: one of the channel's approved templates (listChannels shows them) "
        "instead of free text — the only message allowed 24 hours after the person's last.",
    )

    def validate(self, attrs):
        if not attrs.get("body") and not attrs.get("template"):
            raise serializers.ValidationError({"body": [_("This field is required.")]})
        return attrs


class AssignSerializer(StrictFieldsMixin, serializers.Serializer):
    user_id = id_field(allow_null=True, help_text="A member's id; null unassigns.")


class ConversationFilterSerializer(serializers.Serializer):
    """The inbox's query parameters. Read from a plain dict (not the QueryDict): an empty
    value is refused like any other invalid one instead of silently meaning "absent"."""

    status = serializers.ChoiceField(
        choices=[*ConversationStatus.values, "all"], required=False, default="open"
    )
    channel = id_field(required=False, help_text="A channel's id.")
    assignee = serializers.RegexField(
        r"^(me|none|[1-9][0-9]{0,17})$",
        required=False,
        help_text="A member's id (at most 18 digits), `me` or `none` (unassigned).",
    )
    unread = serializers.BooleanField(required=False, default=False)
