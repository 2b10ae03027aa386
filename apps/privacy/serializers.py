"""Privacy API serializers: one person's data, erasure, consents, retention, closing."""

from rest_framework import serializers

from apps.core.api import StrictFieldsMixin
from apps.privacy.models import ConsentPurpose, JobStatus

_DAYS = {"min_value": 1, "max_value": 36500, "allow_null": True, "required": False}


class PersonalDataPlaceSerializer(serializers.Serializer):
    label = serializers.CharField()
    rows = serializers.ListField(child=serializers.DictField(), help_text="Field: value.")


class PersonalDataSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    places = serializers.DictField(
        child=PersonalDataPlaceSerializer(), help_text="Where the person's data is, by model."
    )
    csv = serializers.CharField(help_text="The same data as CSV: place, row_id, field, value.")


class UserDataSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    places = serializers.DictField(child=PersonalDataPlaceSerializer())
    csv = serializers.CharField()


class EraseSerializer(StrictFieldsMixin, serializers.Serializer):
    confirm = serializers.BooleanField(help_text="Must be true: erasure cannot be undone.")

    def validate_confirm(self, value):
        if value is not True:
            raise serializers.ValidationError("Must be true: erasure cannot be undone.")
        return value


class ErasedSerializer(serializers.Serializer):
    request_id = serializers.IntegerField()
    lead_id = serializers.IntegerField()
    erased_at = serializers.DateTimeField()
    places = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows anonymized or deleted, by model."
    )


class WithdrawSerializer(StrictFieldsMixin, serializers.Serializer):
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=ConsentPurpose.choices),
        required=False,
        allow_empty=False,
        max_length=2,
        help_text="Default: both. Withdrawing processing withdraws marketing too.",
    )


class ConsentRecordSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    texts = serializers.DictField(
        child=serializers.CharField(), help_text="Texts shown, by language."
    )
    version = serializers.CharField()
    created_at = serializers.DateTimeField()


class LeadConsentsSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    processing_refused = serializers.BooleanField()
    consents = ConsentRecordSerializer(many=True)


class RetentionSerializer(StrictFieldsMixin, serializers.Serializer):
    conversations_days = serializers.IntegerField(**_DAYS)
    tickets_days = serializers.IntegerField(**_DAYS)
    ai_raw_days = serializers.IntegerField(**_DAYS)
    import_files_days = serializers.IntegerField(**_DAYS)


class CloseSerializer(StrictFieldsMixin, serializers.Serializer):
    confirm_slug = serializers.CharField(
        max_length=60, help_text="The company's slug, typed again: closing is not a click."
    )


class ClosureSerializer(serializers.Serializer):
    status = serializers.CharField()
    closed_at = serializers.DateTimeField()
    delete_after = serializers.DateTimeField(help_text="When the company is deleted for good.")


class CompanyExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=JobStatus.values)
    tables = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, export) -> str | None:
        if export.status != JobStatus.DONE:
            return None
        return f"/api/v1/tenants/{export.tenant_id}/privacy/export/{export.pk}/download/"
