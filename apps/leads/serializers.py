"""API shapes of leads, lists, customers, products, exports and keys.

Incoming lead submissions are NOT validated here: ingestion's pydantic schema does it
(apps/leads/ingestion/schema.py); `LeadSubmissionSerializer` only documents the shape.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api import StrictFieldsMixin, id_field
from apps.leads.models import (
    ExportFormat,
    LeadStatus,
    ListKind,
    Source,
)
from apps.leads.services import BULK_ACTIONS
from apps.tenants.roles import Role


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_ref = serializers.CharField()
    name = serializers.CharField()


class ListRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class ConsentSerializer(serializers.Serializer):
    processing = serializers.BooleanField(source="consent_processing")
    processing_at = serializers.DateTimeField(source="consent_processing_at", allow_null=True)
    marketing = serializers.BooleanField(source="consent_marketing")
    marketing_at = serializers.DateTimeField(source="consent_marketing_at", allow_null=True)
    source = serializers.CharField(source="consent_source")


def _when(value) -> str | None:
    """DRF's ISO 8601 output (current time zone, "Z" for UTC), without a Field per value."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.pk, "external_ref": obj.external_ref, "name": obj.name}


def _not_determined(lead) -> list[str]:
    """Fields AI enrichment could not determine and that are still empty."""
    return [name for name in (lead.not_determined or {}) if not getattr(lead, name, "")]


def lead_data(lead) -> dict:
    """A lead as the API shows it (`LeadSerializer` documents it). Hand-built: a page of 200
    leads renders in a few milliseconds instead of tens through nested serializer fields."""
    lead_list, user = lead.list, lead.assigned_to
    return {
        "id": lead.pk,
        "external_id": lead.external_id,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "company": lead.company,
        "role": lead.role,
        "industry": lead.industry,
        "company_size": lead.company_size,
        "website": lead.website,
        "pain_point": lead.pain_point,
        "not_determined": _not_determined(lead),
        "status": lead.status,
        "source": lead.source,
        "lead_type": lead.lead_type,
        "customer": _ref(lead.customer),
        "product": _ref(lead.product),
        "list": None if lead_list is None else {"id": lead_list.pk, "name": lead_list.name},
        "assigned_to": None
        if user is None
        else {"id": user.pk, "name": user.name, "email": user.email},
        "consent": {
            "processing": lead.consent_processing,
            "processing_at": _when(lead.consent_processing_at),
            "marketing": lead.consent_marketing,
            "marketing_at": _when(lead.consent_marketing_at),
            "source": lead.consent_source,
        },
        "manual_fields": list(lead.manual_fields or []),
        "created_at": _when(lead.created_at),
        "updated_at": _when(lead.updated_at),
    }


class LeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    company = serializers.CharField()
    role = serializers.CharField()
    industry = serializers.CharField()
    company_size = serializers.CharField()
    website = serializers.CharField()
    pain_point = serializers.CharField(help_text=_("AI's pain-point hypothesis."))
    not_determined = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Fields AI enrichment looked at and could not determine."),
    )
    status = serializers.ChoiceField(choices=LeadStatus.choices)
    source = serializers.ChoiceField(choices=Source.choices)
    lead_type = serializers.CharField()
    customer = RefSerializer(allow_null=True)
    product = RefSerializer(allow_null=True)
    list = ListRefSerializer(allow_null=True)
    assigned_to = UserRefSerializer(allow_null=True)
    consent = ConsentSerializer(source="*")
    manual_fields = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return lead_data(instance)


class ActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action_type = serializers.CharField()
    engagement_level = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    channel = serializers.CharField()
    metadata = serializers.DictField()


class TimelineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = UserRefSerializer(allow_null=True)
    body = serializers.CharField()
    data = serializers.DictField()
    created_at = serializers.DateTimeField()


class LeadDetailSerializer(LeadSerializer):
    actions = ActionSerializer(source="recent_actions", many=True)
    timeline = TimelineEntrySerializer(source="recent_timeline", many=True)

    def to_representation(self, instance):
        return {
            **lead_data(instance),
            "actions": ActionSerializer(instance.recent_actions, many=True).data,
            "timeline": TimelineEntrySerializer(instance.recent_timeline, many=True).data,
        }


class LeadPageSerializer(serializers.Serializer):
    results = LeadSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class LeadUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    assigned_to = id_field(allow_null=True, required=False)
    list = id_field(allow_null=True, required=False)
    name = serializers.CharField(allow_blank=True, max_length=200, required=False)
    email = serializers.CharField(allow_blank=True, max_length=254, required=False)
    phone = serializers.CharField(allow_blank=True, max_length=40, required=False)
    company = serializers.CharField(allow_blank=True, max_length=200, required=False)
    role = serializers.CharField(allow_blank=True, max_length=200, required=False)
    industry = serializers.CharField(allow_blank=True, max_length=200, required=False)
    company_size = serializers.CharField(allow_blank=True, max_length=64, required=False)
    website = serializers.CharField(allow_blank=True, max_length=300, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


class NoteSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=10_000)


class BulkSerializer(StrictFieldsMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    ids = serializers.ListField(child=id_field(), required=False, max_length=10_000)
    filter = serializers.DictField(required=False, help_text=_("Lead list filters, as in GET."))
    value = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text=_("status: a status; move: a list id or null; assign: a user id or null."),
    )

    def validate(self, attrs):
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError(_("Give either ids or filter."))
        if attrs["action"] != "delete" and "value" not in attrs:
            raise serializers.ValidationError({"value": [_("This field is required.")]})
        return attrs


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    matched = serializers.IntegerField()
    changed = serializers.IntegerField()


class ActionInSerializer(serializers.Serializer):
    action_type = serializers.CharField()
    timestamp = serializers.DateTimeField()
    engagement_level = serializers.CharField(help_text="Low, Medium or High.")
    channel = serializers.CharField(required=False, help_text=_("A source channel."))
    metadata = serializers.DictField(required=False)


class LeadSubmissionSerializer(serializers.Serializer):
    """One submitted lead (documentation only; see the module docstring)."""

    lead_id = serializers.CharField(required=False, help_text=_("Your id of the lead."))
    external_id = serializers.CharField(required=False, help_text=_("Idempotency key."))
    customer_id = serializers.CharField(required=False, help_text=_("Your customer reference."))
    product_id = serializers.CharField(required=False, help_text=_("Your product reference."))
    lead_type = serializers.CharField(required=False)
    actions = ActionInSerializer(many=True, required=False)
    created_at = serializers.DateTimeField(required=False)
    name = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    phone = serializers.CharField(required=False)
    company = serializers.CharField(required=False)
    role = serializers.CharField(required=False)
    industry = serializers.CharField(required=False)
    company_size = serializers.CharField(required=False)
    website = serializers.CharField(required=False)
    source = serializers.CharField(required=False, help_text=_("A source channel; api by default."))
    list_id = serializers.IntegerField(required=False)
    message = serializers.CharField(required=False)


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.CharField(help_text="created, merged or rejected")
    lead_id = serializers.IntegerField(required=False)
    actions_added = serializers.IntegerField(required=False)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class SummarySerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    merged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class BatchResultSerializer(serializers.Serializer):
    summary = SummarySerializer()
    results = ItemResultSerializer(many=True)


class SingleResultSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="created or merged")
    lead_id = serializers.IntegerField()
    actions_added = serializers.IntegerField()
    lead = LeadSerializer()


class LeadListSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ListKind.choices, default=ListKind.REGULAR)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    created_at = serializers.DateTimeField(read_only=True)


class LeadListWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ListKind.choices, default=ListKind.REGULAR)
    description = serializers.CharField(allow_blank=True, required=False, default="")


class LeadListPatchSerializer(LeadListWriteSerializer):
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=ListKind.choices, required=False)
    description = serializers.CharField(allow_blank=True, required=False)


class CustomerSerializer(RefSerializer):
    email = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProductSerializer(RefSerializer):
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExportStartSerializer(StrictFieldsMixin, serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    filter = serializers.DictField(required=False, default=dict)


class LeadExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True)
    rows_done = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, export) -> str | None:
        if export.status != "done":
            return None
        path = reverse(
            "api-lead-export-download",
            kwargs={"tenant_id": str(export.tenant_id), "export_id": export.pk},
        )
        return self.context["request"].build_absolute_uri(path)


class APIKeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    prefix = serializers.SerializerMethodField()
    created_by = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_prefix(self, key) -> str:
        return f"fl_{key.prefix}"


class APIKeyCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(
        choices=[Role.OPERATOR, Role.ANALYST],
        default=Role.OPERATOR,
        help_text="operator or analyst",
    )


class APIKeyCreatedSerializer(APIKeySerializer):
    key = serializers.CharField(help_text=_("The full key. Shown once: store it now."))


class PublishableKeySerializer(serializers.Serializer):
    key = serializers.CharField()
    created_at = serializers.DateTimeField()
