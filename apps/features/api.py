"""GET /api/v1/tenants/{t}/features/: the tenant's tools, on or locked, with the reason."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.features.registry import tool_list
from apps.features.selectors import Entitlements, entitlements_for_request
from apps.tenants.api import TENANT_ID
from apps.tenants.api_base import TenantAPIView


class PlanRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ToolStateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    source = serializers.ChoiceField(
        choices=["plan", "grant", "trial", "revoke", "none", "access"],
        help_text="plan: the plan grants it; grant/trial/revoke: a manual override; none: "
        "not in the plan; access: paused until the subscription is paid.",
    )
    expires_at = serializers.DateTimeField(allow_null=True)
    unlock_plan = PlanRefSerializer(allow_null=True)


class FeaturesSerializer(serializers.Serializer):
    plan = PlanRefSerializer(allow_null=True)
    access_state = serializers.ChoiceField(choices=["active", "read_only", "blocked"])
    tools = ToolStateSerializer(many=True)


def features_payload(entitlements: Entitlements) -> dict:
    return {
        "plan": entitlements.plan,
        "access_state": entitlements.access_state,
        "tools": [
            {
                "key": tool.key,
                "name": str(tool.name),
                "description": str(tool.description),
                "enabled": entitlements.has(tool.key),
                "source": entitlements.sources.get(tool.key, "none"),
                "expires_at": entitlements.override_expiry.get(tool.key),
                "unlock_plan": None
                if entitlements.has(tool.key)
                else entitlements.unlock_plan(tool.key),
            }
            for tool in tool_list()
        ],
    }


@extend_schema(tags=["entitlements"], parameters=[TENANT_ID])
class FeaturesAPI(TenantAPIView):
    @extend_schema(
        summary="The company's tools: on or locked, why, and the plan that unlocks each",
        responses={200: FeaturesSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        payload = features_payload(entitlements_for_request(request))
        return Response(FeaturesSerializer(payload).data)
