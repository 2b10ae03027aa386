"""GET /api/v1/tenants/{t}/features/: the tenant's tools, on or locked, with the reason."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.features.registry import Tool, tool_list
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
    live = serializers.BooleanField(
        help_text="false: the tool is announced but its pages and endpoints do not exist yet "
        "(coming soon); it is then never enabled, whatever the plan grants."
    )
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


def tool_state(tool: Tool, entitlements: Entitlements) -> dict:
    """One tool as the Modules page and the API show it: a tool that is not live yet is
    never enabled and offers no plan to unlock it."""
    enabled = tool.live and entitlements.has(tool.key)
    return {
        "key": tool.key,
        "name": str(tool.name),
        "description": str(tool.description),
        "live": tool.live,
        "enabled": enabled,
        "source": entitlements.sources.get(tool.key, "none"),
        "expires_at": entitlements.override_expiry.get(tool.key) if enabled else None,
        "unlock_plan": entitlements.unlock_plan(tool.key) if tool.live and not enabled else None,
    }


def features_payload(entitlements: Entitlements) -> dict:
    return {
        "plan": entitlements.plan,
        "access_state": entitlements.access_state,
        "tools": [tool_state(tool, entitlements) for tool in tool_list()],
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
