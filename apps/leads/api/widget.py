"""The widget's configuration: GET (any member) and PUT (administrators) of
/api/v1/tenants/{id}/widget/. A PUT bumps the version and is audited."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.core.api import ClockTimeField, StrictFieldsMixin, error_responses
from apps.leads.api.leads import TENANT_ID
from apps.leads.models import WidgetConfig
from apps.leads.widget_config import (
    EDITABLE,
    WIDGET_SCRIPT,
    widget_config_get,
    widget_config_save,
    widget_snippet,
)
from apps.tenants import keys
from apps.tenants.api_base import TenantAPIView

TIME_ZONES = sorted(zoneinfo.available_timezones())


class WidgetConfigSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    work_from = ClockTimeField(required=False)
    work_to = ClockTimeField(required=False)
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until the settings are first saved."
    )
    time_zone = serializers.ChoiceField(choices=TIME_ZONES, required=False)
    work_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7, required=False
    )

    class Meta:
        model = WidgetConfig
        fields = ("version", "updated_at", *EDITABLE)
        read_only_fields = ("version", "updated_at")


class VersionSerializer(serializers.Serializer):
    """The version the client read (GET): a PUT over a newer save answers 409
    `version_conflict` with the current version and settings; without it the save applies."""

    version = serializers.IntegerField(min_value=0, required=False)


@extend_schema(tags=["widget"], parameters=[TENANT_ID])
class WidgetConfigAPI(TenantAPIView):
    @extend_schema(
        summary="The widget's settings (texts, colours, fields, consents, working hours)",
        responses={200: WidgetConfigSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        return Response(WidgetConfigSerializer(widget_config_get(self.tenant)).data)

    @extend_schema(
        summary="Change the widget's settings (administrators); the version goes up by one",
        description="Send the fields to change (others keep their values) and the `version` "
        "you read: if someone saved since, the answer is 409 `version_conflict` with the "
        "current `version` and settings (`current`). Blank texts fall back to the built-in "
        "ones. 400 names each invalid field.",
        request=WidgetConfigSerializer,
        responses={200: WidgetConfigSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def put(self, request, tenant_id):
        serializer = WidgetConfigSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        expected = VersionSerializer(data=request.data)
        expected.is_valid(raise_exception=True)
        try:
            config = widget_config_save(
                self.tenant,
                actor=request.user,
                data=serializer.validated_data,
                expected_version=expected.validated_data.get("version"),
                request=request,
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(WidgetConfigSerializer(config).data)


class WidgetSnippetSerializer(serializers.Serializer):
    snippet = serializers.CharField(help_text="The line to paste before </body>.")
    script_url = serializers.URLField()
    publishable_key = serializers.CharField()


@extend_schema(tags=["widget"], parameters=[TENANT_ID])
class WidgetSnippetAPI(TenantAPIView):
    @extend_schema(
        summary="The embed snippet for the tenant's site (any member)",
        responses={200: WidgetSnippetSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        key = keys.publishable_key_get(self.tenant).key
        data = {
            "snippet": widget_snippet(key),
            "script_url": f"{settings.SITE_URL}{WIDGET_SCRIPT}",
            "publishable_key": key,
        }
        return Response(WidgetSnippetSerializer(data).data)
